// Embedding gather: out[i, d] = weight[ids[i], d] for ids of any shape, flattened.
// One thread per output element. An id outside [0, vocab) yields a NaN row, so a bad
// id shows up in the loss instead of silently reading another row.

struct Params { n: u32, dim: u32, vocab: u32, nanBits: u32 }

@group(0) @binding(0) var<storage, read> weight: array<f32>;
@group(0) @binding(1) var<storage, read> ids: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= p.n) { return; }
  let id = ids[i / p.dim];
  if (id < 0 || u32(id) >= p.vocab) {
    out[i] = bitcast<f32>(p.nanBits);
    return;
  }
  out[i] = weight[u32(id) * p.dim + i % p.dim];
}
