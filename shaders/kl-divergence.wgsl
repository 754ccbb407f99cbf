// Per-row KL(p || q) with p = softmax(teacher / T) and q = softmax(student / T):
//   kl = sum_j p_j (log p_j - log q_j).
// Log-probabilities are formed from (x - max) / T, so logits of 1e4 lose no precision.
// Writes kl per row and the row stats (max_s, log sum_s, max_t, log sum_t) of the
// scaled logits for the backward pass. A team of TPR threads per row
// (src/ops/row-layout.ts), WG / TPR rows per workgroup; the row maxima and sums are
// combined by trees in workgroup memory (none when TPR is 1).

struct Params { rows: u32, classes: u32, invT: f32, negInfBits: u32 }

@group(0) @binding(0) var<storage, read> student: array<f32>;
@group(0) @binding(1) var<storage, read> teacher: array<f32>;
@group(0) @binding(2) var<storage, read_write> kl: array<f32>;
@group(0) @binding(3) var<storage, read_write> stats: array<vec4f>;
@group(0) @binding(4) var<uniform> p: Params;

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

  // .x: student, .y: teacher.
  let negInf = bitcast<f32>(p.negInfBits);
  var m = vec2f(negInf, negInf);
  for (var j = lane; j < classes; j += TPR) { m = max(m, vec2f(student[base + j], teacher[base + j])); }
  m = teamMax(m, lid, lane);

  var s = vec2f(0.0);
  for (var j = lane; j < classes; j += TPR) {
    s += exp((vec2f(student[base + j], teacher[base + j]) - m) * p.invT);
  }
  let logS = log(teamSum(s, lid, lane));

  var acc = 0.0;
  for (var j = lane; j < classes; j += TPR) {
    let logQ = (student[base + j] - m.x) * p.invT - logS.x;
    let logP = (teacher[base + j] - m.y) * p.invT - logS.y;
    acc += exp(logP) * (logP - logQ);
  }
  acc = teamSum(vec2f(acc, 0.0), lid, lane).x;

  if (lane == 0u && row < p.rows) {
    kl[row] = acc;
    stats[row] = vec4f(m.x, logS.x, m.y, logS.y);
  }
}
