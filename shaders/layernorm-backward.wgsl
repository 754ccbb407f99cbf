// Backward of layer normalization to x, from the saved (shift, mean) and rstd per row:
//   g = dy * weight,  xhat = ((x - shift) - mean) * rstd,
//   dx = rstd * (g - mean(g) - xhat * mean(g * xhat)).
// A team of TPR threads per row (src/ops/row-layout.ts), WG / TPR rows per workgroup;
// both row means come from one tree reduction in workgroup memory (none when TPR is 1).

struct Params { rows: u32, len: u32, hasWeight: u32, pad0: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> weight: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> meanIn: array<vec2f>;
@group(0) @binding(4) var<storage, read> rstdIn: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;

const TPR: u32 = {{THREADS_PER_ROW}}u;
const WG: u32 = {{WORKGROUP_SIZE}}u;
alias TeamValue = vec2f;
#include "common/row-team.wgsl"

fn scaledGrad(i: u32, j: u32) -> f32 {
  if (p.hasWeight != 0u) { return dy[i] * weight[j]; }
  return dy[i];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) groups: vec3u) {
  let lane = lid % TPR;
  let row = (wid.x + wid.y * groups.x) * (WG / TPR) + lid / TPR;
  let hasRow = row < p.rows;
  let len = select(0u, p.len, hasRow);
  let base = row * p.len;
  var stats = vec3f(0.0);
  if (hasRow) { stats = vec3f(meanIn[row], rstdIn[row]); }
  let shift = stats.x;
  let mean = stats.y;
  let rstd = stats.z;

  // .x: sum of g, .y: sum of g * xhat.
  var acc = vec2f(0.0);
  for (var j = lane; j < len; j += TPR) {
    let g = scaledGrad(base + j, j);
    acc += vec2f(g, g * ((x[base + j] - shift) - mean) * rstd);
  }
  let means = teamSum(acc, lid, lane) / f32(p.len);

  for (var j = lane; j < len; j += TPR) {
    let xhat = ((x[base + j] - shift) - mean) * rstd;
    dx[base + j] = rstd * (scaledGrad(base + j, j) - means.x - xhat * means.y);
  }
}
