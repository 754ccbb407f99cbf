// Strided copy with one thread per row of the last dim: the thread finds its row's
// start with one division per leading dim, then copies the row in a loop. For short
// last dims (attention heads of 16) this needs far fewer integer divisions than
// copy.wgsl and far fewer workgroups than copy-grid.wgsl, both of which llvmpipe
// pays for heavily. Rank is at most 8.

struct Params {
  rows: u32, rank: u32, srcBase: u32, dstBase: u32,
  shape: array<vec4u, 2>,
  srcStrides: array<vec4u, 2>,
  dstStrides: array<vec4u, 2>,
}

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<uniform> p: Params;

fn at(v: array<vec4u, 2>, d: u32) -> u32 { return v[d / 4u][d % 4u]; }

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let row = gid.x + gid.y * groups.x * 64u;
  if (row >= p.rows) { return; }
  let inner = p.rank - 1u;
  var rest = row;
  var is = p.srcBase;
  var id = p.dstBase;
  for (var d = i32(inner) - 1; d >= 0; d--) {
    let size = at(p.shape, u32(d));
    let c = rest % size;
    rest = rest / size;
    is += c * at(p.srcStrides, u32(d));
    id += c * at(p.dstStrides, u32(d));
  }
  let len = at(p.shape, inner);
  let srcStep = at(p.srcStrides, inner);
  let dstStep = at(p.dstStrides, inner);
  for (var j = 0u; j < len; j++) {
    dst[id + j * dstStep] = src[is + j * srcStep];
  }
}
