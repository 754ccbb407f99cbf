// Per-row cross-entropy of logits [rows, classes] against int32 targets, fused with
// log-softmax and label smoothing eps (target distribution (1 - eps) one-hot + eps / C):
//   loss = (1 - eps) (lse - x_t) + eps (lse - mean_j x_j),  lse = log sum_j exp(x_j).
// Both terms are computed from x - max, so logits of 1e4 lose no precision.
// A row whose target equals ignoreIndex gets loss 0 and valid 0; a target outside
// [0, classes) gets loss NaN (and valid 1), so the reduced loss turns NaN.
// Writes (max, log sum exp(x - max)) per row for the backward pass, kept apart
// because their f32 sum would lose the low bits of x - lse for large logits.
// A team of TPR threads per row (src/ops/row-layout.ts), WG / TPR rows per workgroup;
// the row max and sums are combined by trees in workgroup memory (none when TPR is 1).

struct Params {
  rows: u32, classes: u32, ignoreIndex: i32, smoothing: f32,
  negInfBits: u32, nanBits: u32, pad0: u32, pad1: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> targets: array<i32>;
@group(0) @binding(2) var<storage, read_write> loss: array<f32>;
@group(0) @binding(3) var<storage, read_write> valid: array<f32>;
@group(0) @binding(4) var<storage, read_write> stats: array<vec2f>;
@group(0) @binding(5) var<uniform> p: Params;

const TPR: u32 = {{THREADS_PER_ROW}}u;
const WG: u32 = {{WORKGROUP_SIZE}}u;
alias TeamValue = vec2f;
#include "common/row-team.wgsl"

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) groups: vec3u) {
  let lane = lid % TPR;
  let row = (wid.x + wid.y * groups.x) * (WG / TPR) + lid / TPR;
  // Threads past the last row fold nothing but still join the team's barriers.
  let classes = select(0u, p.classes, row < p.rows);
  let base = row * p.classes;

  var m = bitcast<f32>(p.negInfBits);
  for (var j = lane; j < classes; j += TPR) { m = max(m, x[base + j]); }
  m = teamMax(vec2f(m, 0.0), lid, lane).x;

  // .x: sum of exp(x - m); .y: sum of (x - m), for the smoothing term.
  var acc = vec2f(0.0);
  for (var j = lane; j < classes; j += TPR) {
    let z = x[base + j] - m;
    acc += vec2f(exp(z), z);
  }
  acc = teamSum(acc, lid, lane);

  if (lane == 0u && row < p.rows) {
    let logS = log(acc.x);
    stats[row] = vec2f(m, logS);
    let t = targets[row];
    if (t == p.ignoreIndex) {
      loss[row] = 0.0;
      valid[row] = 0.0;
    } else if (t < 0 || u32(t) >= p.classes) {
      loss[row] = bitcast<f32>(p.nanBits);
      valid[row] = 1.0;
    } else {
      let nll = logS - (x[base + u32(t)] - m);
      let smoothTerm = logS - acc.y / f32(p.classes);
      loss[row] = (1.0 - p.smoothing) * nll + p.smoothing * smoothTerm;
      valid[row] = 1.0;
    }
  }
}
