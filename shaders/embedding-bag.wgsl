// Embedding bags in CSR form: out[b, d] = sum (or mean) of weight[ids[k], d] over
// k in [offsets[b], offsets[b + 1]). An empty bag gives 0. Bag bounds are clamped to
// [0, nnz], so malformed offsets give short or empty bags rather than stray reads.
// An id outside [0, vocab) yields NaN. One thread per output element.

struct Params { n: u32, dim: u32, vocab: u32, nnz: u32, isMean: u32, nanBits: u32, pad0: u32, pad1: u32 }

@group(0) @binding(0) var<storage, read> weight: array<f32>;
@group(0) @binding(1) var<storage, read> ids: array<i32>;
@group(0) @binding(2) var<storage, read> offsets: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

fn clampOffset(v: i32) -> u32 {
  return u32(clamp(v, 0, i32(p.nnz)));
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= p.n) { return; }
  let bag = i / p.dim;
  let d = i % p.dim;
  let start = clampOffset(offsets[bag]);
  let end = max(start, clampOffset(offsets[bag + 1u]));

  var acc = 0.0;
  for (var k = start; k < end; k++) {
    let id = ids[k];
    if (id < 0 || u32(id) >= p.vocab) {
      acc = bitcast<f32>(p.nanBits);
      break;
    }
    acc += weight[u32(id) * p.dim + d];
  }
  if (p.isMean != 0u && end > start) { acc = acc / f32(end - start); }
  out[i] = acc;
}
