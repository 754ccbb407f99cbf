// Backward of row softmax and log-softmax, given the forward output y and dy:
//   softmax:     dx = y * (dy - sum(dy * y))
//   log-softmax: dx = dy - exp(y) * sum(dy)
// ({{LOG}} selects the second). A team of TPR threads per row (src/ops/row-layout.ts),
// WG / TPR rows per workgroup: one tree reduction in workgroup memory (none when TPR
// is 1), then each thread writes its strided slice.

struct Params { rows: u32, len: u32, pad0: u32, pad1: u32 }

@group(0) @binding(0) var<storage, read> y: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

const TPR: u32 = {{THREADS_PER_ROW}}u;
const WG: u32 = {{WORKGROUP_SIZE}}u;
alias TeamValue = f32;
#include "common/row-team.wgsl"

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) groups: vec3u) {
  let lane = lid % TPR;
  let row = (wid.x + wid.y * groups.x) * (WG / TPR) + lid / TPR;
  let len = select(0u, p.len, row < p.rows);
  let base = row * p.len;

  var s = 0.0;
  for (var j = lane; j < len; j += TPR) {
    if ({{LOG}}) { s += dy[base + j]; } else { s += dy[base + j] * y[base + j]; }
  }
  s = teamSum(s, lid, lane);

  for (var j = lane; j < len; j += TPR) {
    let i = base + j;
    if ({{LOG}}) { dx[i] = dy[i] - exp(y[i]) * s; } else { dx[i] = y[i] * (dy[i] - s); }
  }
}
