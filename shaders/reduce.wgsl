// Row reduction: out[r] = sum or max of x[r * len .. (r + 1) * len] ({{IS_MAX}} selects max).
// A team of TPR threads per row (src/ops/row-layout.ts), WG / TPR rows per workgroup:
// each thread folds a strided slice of the row, then a tree reduction in workgroup
// memory combines the team's TPR partial results (no tree when TPR is 1).
// Workgroups beyond the per-dimension dispatch limit continue on the y axis of the grid.

// identityBits: bits of the fold's start value (0.0 for sum, -inf for max); a
// uniform because WGSL rejects -inf as a constant.
struct Params { rows: u32, len: u32, identityBits: u32, pad1: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

const TPR: u32 = {{THREADS_PER_ROW}}u;
const WG: u32 = {{WORKGROUP_SIZE}}u;
var<workgroup> partial: array<f32, WG>;

#include "common/is-nan.wgsl"

fn combine(u: f32, v: f32) -> f32 {
  if ({{IS_MAX}}) { return max(u, v); }
  return u + v;
}

// Every thread of the workgroup must call this, active or not, because it has barriers.
fn teamCombine(v: f32, lid: u32, lane: u32) -> f32 {
  if (TPR == 1u) { return v; }
  partial[lid] = v;
  workgroupBarrier();
  for (var stride = TPR / 2u; stride > 0u; stride = stride / 2u) {
    if (lane < stride) {
      let a = partial[lid];
      let b = partial[lid + stride];
      partial[lid] = select(combine(a, b), select(b, a, isNan(a)), {{IS_MAX}} && (isNan(a) || isNan(b)));
    }
    workgroupBarrier();
  }
  return partial[lid - lane];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) groups: vec3u) {
  let lane = lid % TPR;
  let row = (wid.x + wid.y * groups.x) * (WG / TPR) + lid / TPR;
  // Threads past the last row fold nothing but still join the team's barriers.
  let len = select(0u, p.len, row < p.rows);
  let base = row * p.len;

  var acc = bitcast<f32>(p.identityBits);
  for (var j = lane; j < len; j += TPR) {
    let v = x[base + j];
    // max() of NaN is implementation-defined in WGSL, so NaN is propagated explicitly.
    if ({{IS_MAX}} && isNan(v)) { acc = v; break; }
    acc = combine(acc, v);
  }
  acc = teamCombine(acc, lid, lane);

  if (lane == 0u && row < p.rows) {
    out[row] = acc;
  }
}
