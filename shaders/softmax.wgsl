// Row softmax ({{LOG}} false) or log-softmax ({{LOG}} true) over contiguous rows of length len.
// A team of TPR threads per row (src/ops/row-layout.ts), WG / TPR rows per workgroup:
// a max reduction, then a sum of exp(x - max), each a strided per-thread fold combined
// by a tree in workgroup memory (none when TPR is 1), then each thread writes its
// strided slice. Subtracting the row max keeps exp() in range for any finite logit.
// Workgroups beyond the per-dimension dispatch limit continue on the y axis.

// negInfBits: bits of -inf, a uniform because WGSL rejects -inf as a constant.
struct Params { rows: u32, len: u32, negInfBits: u32, pad: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

const TPR: u32 = {{THREADS_PER_ROW}}u;
const WG: u32 = {{WORKGROUP_SIZE}}u;
alias TeamValue = f32;
#include "common/row-team.wgsl"

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) groups: vec3u) {
  let lane = lid % TPR;
  let row = (wid.x + wid.y * groups.x) * (WG / TPR) + lid / TPR;
  // Threads past the last row fold nothing but still join the team's barriers.
  let len = select(0u, p.len, row < p.rows);
  let base = row * p.len;

  var m = bitcast<f32>(p.negInfBits);
  for (var j = lane; j < len; j += TPR) { m = max(m, x[base + j]); }
  m = teamMax(m, lid, lane);

  var s = 0.0;
  for (var j = lane; j < len; j += TPR) { s += exp(x[base + j] - m); }
  s = teamSum(s, lid, lane);

  if ({{LOG}}) {
    let logS = log(s);
    for (var j = lane; j < len; j += TPR) { y[base + j] = (x[base + j] - m) - logS; }
  } else {
    let inv = 1.0 / s;
    for (var j = lane; j < len; j += TPR) { y[base + j] = exp(x[base + j] - m) * inv; }
  }
}
