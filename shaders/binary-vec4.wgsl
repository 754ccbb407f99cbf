// Elementwise binary op on 4 consecutive outputs per thread, for broadcasts that
// collapse to [rows, cols] with cols a multiple of 4 (or to one row): out[i] =
// {{EXPR}} of l and r, which may call isNan. An operand read along the row (column
// stride 1) is loaded as one vec4, which needs its row stride to be a multiple of 4.
// An operand broadcast along the row (column stride 0) is one value per row. llvmpipe
// turns every per-lane load into a gather, so vec4 loads cut memory instructions 4-fold.
// Rows come from rowOf, exact for n < 2^24.

struct Params {
  n: u32, cols: u32, colsF: f32, pad0: u32,
  // Strides of l and r: (row, column) each; a column stride is 0 or 1.
  strides: vec4u,
}

@group(0) @binding(0) var<storage, read> lhs: array<vec4f>;
@group(0) @binding(1) var<storage, read> rhs: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4f>;
@group(0) @binding(3) var<uniform> p: Params;

#include "common/is-nan.wgsl"
#include "common/row-of.wgsl"

fn op(l: f32, r: f32) -> f32 {
  return {{EXPR}};
}

// The 4 values of each operand at flat index `start`, a multiple of 4 when the column stride is 1.
fn loadL(start: u32, colStride: u32) -> vec4f {
  if (colStride == 1u) { return lhs[start / 4u]; }
  return vec4f(lhs[start / 4u][start % 4u]);
}

fn loadR(start: u32, colStride: u32) -> vec4f {
  if (colStride == 1u) { return rhs[start / 4u]; }
  return vec4f(rhs[start / 4u][start % 4u]);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let t = gid.x + gid.y * groups.x * 256u;
  let first = 4u * t;
  if (first >= p.n) { return; }
  let row = rowOf(first, p.cols, p.colsF);
  let col = first - row * p.cols;
  let l = loadL(row * p.strides.x + col * p.strides.y, p.strides.y);
  let r = loadR(row * p.strides.z + col * p.strides.w, p.strides.w);
  let result = vec4f(op(l.x, r.x), op(l.y, r.y), op(l.z, r.z), op(l.w, r.w));
  if (first + 4u <= p.n) {
    out[t] = result;
    return;
  }
  for (var k = 0u; k < p.n - first; k++) { out[t][k] = result[k]; }
}
