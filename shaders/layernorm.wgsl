// Layer normalization over contiguous rows of length len:
//   y = (x - mean) * rstd * weight + bias,  rstd = 1 / sqrt(var + eps), var biased.
// A team of TPR threads per row (src/ops/row-layout.ts), WG / TPR rows per workgroup.
// Mean and variance come from one pass: each thread runs Welford's update over its
// strided slice, and the TPR (count, mean, M2) triples are merged pairwise by Chan et
// al.'s formula in a tree in workgroup memory (no tree when TPR is 1).
// The statistics are taken of x - shift with shift = the row's first element. For a
// row at 1e4 with small noise these differences are exact (Sterbenz's lemma holds
// within a factor of 2), so no step rounds the mean to a multiple of 2^-10. Writes (shift, mean of
// x - shift) and rstd per row for the backward.

struct Params { rows: u32, len: u32, eps: f32, hasWeight: u32, hasBias: u32, pad0: u32, pad1: u32, pad2: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> weight: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> meanOut: array<vec2f>;
@group(0) @binding(5) var<storage, read_write> rstdOut: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;

const TPR: u32 = {{THREADS_PER_ROW}}u;
const WG: u32 = {{WORKGROUP_SIZE}}u;
// (count, mean, M2) per thread, M2 being the sum of squared deviations from the mean.
var<workgroup> partial: array<vec3f, WG>;

fn merge(a: vec3f, b: vec3f) -> vec3f {
  let n = a.x + b.x;
  if (n == 0.0) { return a; }
  let delta = b.y - a.y;
  let wb = b.x / n;
  return vec3f(n, a.y + delta * wb, a.z + b.z + delta * delta * a.x * wb);
}

// Every thread of the workgroup must call this, past the last row or not, because it has barriers.
fn teamMerge(v: vec3f, lid: u32, lane: u32) -> vec3f {
  if (TPR == 1u) { return v; }
  partial[lid] = v;
  workgroupBarrier();
  for (var stride = TPR / 2u; stride > 0u; stride = stride / 2u) {
    if (lane < stride) { partial[lid] = merge(partial[lid], partial[lid + stride]); }
    workgroupBarrier();
  }
  return partial[lid - lane];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) groups: vec3u) {
  let lane = lid % TPR;
  let row = (wid.x + wid.y * groups.x) * (WG / TPR) + lid / TPR;
  let hasRow = row < p.rows;
  // Threads past the last row fold nothing but still join the team's barriers.
  let len = select(0u, p.len, hasRow);
  let base = row * p.len;
  var shift = 0.0;
  if (hasRow) { shift = x[base]; }

  var acc = vec3f(0.0);
  for (var j = lane; j < len; j += TPR) {
    let v = x[base + j] - shift;
    let count = acc.x + 1.0;
    let delta = v - acc.y;
    let mean = acc.y + delta / count;
    acc = vec3f(count, mean, acc.z + delta * (v - mean));
  }
  let stats = teamMerge(acc, lid, lane);
  let mean = stats.y;
  let rstd = 1.0 / sqrt(stats.z / f32(p.len) + p.eps);

  for (var j = lane; j < len; j += TPR) {
    var v = ((x[base + j] - shift) - mean) * rstd;
    if (p.hasWeight != 0u) { v = v * weight[j]; }
    if (p.hasBias != 0u) { v = v + bias[j]; }
    y[base + j] = v;
  }
  if (lane == 0u && hasRow) {
    meanOut[row] = vec2f(shift, mean);
    rstdOut[row] = rstd;
  }
}
