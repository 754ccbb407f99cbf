// Strided copy on a 3D grid: x runs over the last dim, y over the one before it, and
// z over the leading dims flattened. The two inner coordinates come straight from
// the invocation id, so no integer division is needed for them (llvmpipe runs vector
// integer division lane by lane, which made the general copy.wgsl slow for
// transposes). Used when the grid fits the per-dimension limit; rank is at most 8.

struct Params {
  rank: u32, srcBase: u32, dstBase: u32, pad: u32,
  shape: array<vec4u, 2>,
  srcStrides: array<vec4u, 2>,
  dstStrides: array<vec4u, 2>,
}

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<uniform> p: Params;

fn at(v: array<vec4u, 2>, d: u32) -> u32 { return v[d / 4u][d % 4u]; }

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let inner = p.rank - 1u;
  if (gid.x >= at(p.shape, inner) || gid.y >= at(p.shape, inner - 1u)) { return; }
  var is = p.srcBase + gid.x * at(p.srcStrides, inner) + gid.y * at(p.srcStrides, inner - 1u);
  var id = p.dstBase + gid.x * at(p.dstStrides, inner) + gid.y * at(p.dstStrides, inner - 1u);
  var rest = gid.z;
  for (var d = i32(p.rank) - 3; d >= 0; d--) {
    let size = at(p.shape, u32(d));
    let c = rest % size;
    rest = rest / size;
    is += c * at(p.srcStrides, u32(d));
    id += c * at(p.dstStrides, u32(d));
  }
  dst[id] = src[is];
}
