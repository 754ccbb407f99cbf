// Column reduction: out[c] = sum or max over r of x[r * cols + c] ({{IS_MAX}} selects max).
// One thread per column, so neighbouring lanes read neighbouring addresses and no
// permuting copy is needed when the reduced dims lead (a bias gradient sums a
// [batch, features] gradient over its rows). Each thread folds its column in order,
// as the row kernel does with one thread per row.
// Workgroups beyond the per-dimension dispatch limit continue on the y axis.

// identityBits: bits of the fold's start value (0.0 for sum, -inf for max); a
// uniform because WGSL rejects -inf as a constant.
struct Params { cols: u32, len: u32, identityBits: u32, pad1: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

#include "common/is-nan.wgsl"

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let col = gid.x + gid.y * groups.x * 64u;
  if (col >= p.cols) { return; }
  var acc = bitcast<f32>(p.identityBits);
  for (var r = 0u; r < p.len; r++) {
    let v = x[r * p.cols + col];
    if ({{IS_MAX}}) {
      // max() of NaN is implementation-defined in WGSL, so NaN is propagated explicitly.
      if (isNan(v)) { acc = v; break; }
      acc = max(acc, v);
    } else {
      acc += v;
    }
  }
  out[col] = acc;
}
