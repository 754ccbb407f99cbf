// Elementwise binary op whose broadcast collapses to at most two dims: out[i] =
// {{EXPR}} of l and r, which may call isNan. src/ops/broadcast-plan.ts merges
// adjacent dims that every operand reads alike, so element i sits at row i / cols
// and column i % cols, and each operand has one stride per dim (0 when broadcast).
// The row comes from rowOf (exact for n < 2^24). Integer division per dim made the
// general kernel (binary.wgsl) spend most of its time on index arithmetic.

struct Params {
  n: u32, cols: u32, colsF: f32, pad0: u32,
  // Strides of l and r: (row, column) each.
  strides: vec4u,
}

@group(0) @binding(0) var<storage, read> lhs: array<f32>;
@group(0) @binding(1) var<storage, read> rhs: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

#include "common/is-nan.wgsl"
#include "common/row-of.wgsl"

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= p.n) { return; }
  let row = rowOf(i, p.cols, p.colsF);
  let col = i - row * p.cols;
  let l = lhs[row * p.strides.x + col * p.strides.y];
  let r = rhs[row * p.strides.z + col * p.strides.w];
  out[i] = {{EXPR}};
}
