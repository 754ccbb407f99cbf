// Strided copy: for every coordinate c of the iteration shape,
// dst[dstBase + sum(c * dstStrides)] = src[srcBase + sum(c * srcStrides)].
// One kernel serves transpose, permute, expand (stride 0), slice, concat and pad.
// Elements are copied as u32 bits, so int32 tensors and NaN payloads pass unchanged.
// Rank is at most 8.

struct Params {
  n: u32, rank: u32, srcBase: u32, dstBase: u32,
  shape: array<vec4u, 2>,
  srcStrides: array<vec4u, 2>,
  dstStrides: array<vec4u, 2>,
}

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<uniform> p: Params;

fn at(v: array<vec4u, 2>, d: u32) -> u32 { return v[d / 4u][d % 4u]; }

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= p.n) { return; }
  var rest = i;
  var is = p.srcBase;
  var id = p.dstBase;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let size = at(p.shape, u32(d));
    let c = rest % size;
    rest = rest / size;
    is += c * at(p.srcStrides, u32(d));
    id += c * at(p.dstStrides, u32(d));
  }
  dst[id] = src[is];
}
