// out[i] = cond[i] != 0 ? a[i] : b[i] with NumPy broadcasting of all three inputs
// (strides are 0 along broadcast dims). The condition is read as raw bits and
// compared by {{COND}}, so int32 masks and float32 masks (where -0.0 counts as 0)
// both work. Rank is at most 8.

struct Params {
  n: u32, rank: u32, pad0: u32, pad1: u32,
  shape: array<vec4u, 2>,
  stridesC: array<vec4u, 2>,
  stridesA: array<vec4u, 2>,
  stridesB: array<vec4u, 2>,
}

@group(0) @binding(0) var<storage, read> cond: array<u32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

fn at(v: array<vec4u, 2>, d: u32) -> u32 { return v[d / 4u][d % 4u]; }

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= p.n) { return; }
  var rest = i;
  var ic = 0u;
  var ia = 0u;
  var ib = 0u;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let size = at(p.shape, u32(d));
    let c = rest % size;
    rest = rest / size;
    ic += c * at(p.stridesC, u32(d));
    ia += c * at(p.stridesA, u32(d));
    ib += c * at(p.stridesB, u32(d));
  }
  let bits = cond[ic];
  out[i] = select(b[ib], a[ia], {{COND}});
}
