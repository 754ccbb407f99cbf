// Row reduction: out[r] = sum or max of x[r * len .. (r + 1) * len] ({{IS_MAX}} selects max).
// One workgroup of 256 threads per row: each thread folds a strided slice of the
// row, then a tree reduction in workgroup memory combines the 256 partial results.
// Rows beyond the per-dimension dispatch limit continue on the y axis of the grid.

// identityBits: bits of the fold's start value (0.0 for sum, -inf for max); a
// uniform because WGSL rejects -inf as a constant.
struct Params { rows: u32, len: u32, identityBits: u32, pad1: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

const WG: u32 = 256u;
var<workgroup> partial: array<f32, WG>;

fn combine(u: f32, v: f32) -> f32 {
  if ({{IS_MAX}}) { return max(u, v); }
  return u + v;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) groups: vec3u) {
  let row = wid.x + wid.y * groups.x;
  var acc = bitcast<f32>(p.identityBits);
  if (row < p.rows) {
    let base = row * p.len;
    for (var j = lid; j < p.len; j += WG) {
      let v = x[base + j];
      // max() of NaN is implementation-defined in WGSL, so NaN is propagated explicitly.
      if ({{IS_MAX}} && v != v) { acc = v; break; }
      acc = combine(acc, v);
    }
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) {
      let u = partial[lid];
      let v = partial[lid + stride];
      partial[lid] = select(combine(u, v), select(v, u, u != u), {{IS_MAX}} && (u != u || v != v));
    }
    workgroupBarrier();
  }
  if (lid == 0u && row < p.rows) {
    out[row] = partial[0];
  }
}
