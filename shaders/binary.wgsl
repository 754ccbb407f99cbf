// Elementwise binary op with NumPy broadcasting: out[i] = {{EXPR}} of l and r,
// which may call isNan.
// Broadcasting is index arithmetic: an input's stride is 0 along a broadcast dim,
// so no expanded copy is made. Rank is at most 8 (shape and strides are packed in
// two vec4 each).

struct Params {
  n: u32, rank: u32, pad0: u32, pad1: u32,
  shape: array<vec4u, 2>,
  stridesL: array<vec4u, 2>,
  stridesR: array<vec4u, 2>,
}

@group(0) @binding(0) var<storage, read> lhs: array<f32>;
@group(0) @binding(1) var<storage, read> rhs: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

fn at(v: array<vec4u, 2>, d: u32) -> u32 { return v[d / 4u][d % 4u]; }

#include "common/is-nan.wgsl"

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= p.n) { return; }
  var rest = i;
  var il = 0u;
  var ir = 0u;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let size = at(p.shape, u32(d));
    let c = rest % size;
    rest = rest / size;
    il += c * at(p.stridesL, u32(d));
    ir += c * at(p.stridesR, u32(d));
  }
  let l = lhs[il];
  let r = rhs[ir];
  out[i] = {{EXPR}};
}
