// Row softmax ({{LOG}} false) or log-softmax ({{LOG}} true) with one thread per row
// and vec4 loads, for rows whose length is a multiple of 4. It needs no workgroup
// memory or barriers, which llvmpipe runs as per-lane loops and coroutine switches,
// and reads 4 elements per load. Used on software adapters only (src/ops/softmax.ts):
// on a GPU, lanes reading different rows would not coalesce.
// Workgroups beyond the per-dimension dispatch limit continue on the y axis.

// len4: row length / 4. negInfBits: bits of -inf, a uniform because WGSL rejects -inf as a constant.
struct Params { rows: u32, len4: u32, negInfBits: u32, pad: u32 }

@group(0) @binding(0) var<storage, read> x: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> y: array<vec4f>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let row = gid.x + gid.y * groups.x * 64u;
  if (row >= p.rows) { return; }
  let base = row * p.len4;

  var m4 = vec4f(bitcast<f32>(p.negInfBits));
  for (var j = 0u; j < p.len4; j++) { m4 = max(m4, x[base + j]); }
  let m = max(max(m4.x, m4.y), max(m4.z, m4.w));

  var s4 = vec4f(0.0);
  for (var j = 0u; j < p.len4; j++) { s4 += exp(x[base + j] - m); }
  let s = (s4.x + s4.y) + (s4.z + s4.w);

  if ({{LOG}}) {
    let logS = log(s);
    for (var j = 0u; j < p.len4; j++) { y[base + j] = (x[base + j] - m) - logS; }
  } else {
    let inv = 1.0 / s;
    for (var j = 0u; j < p.len4; j++) { y[base + j] = exp(x[base + j] - m) * inv; }
  }
}
