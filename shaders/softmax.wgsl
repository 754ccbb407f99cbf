// Row softmax ({{LOG}} false) or log-softmax ({{LOG}} true) over contiguous rows of length len.
// One workgroup of 256 threads per row: a max reduction, then a sum of exp(x - max),
// each a strided per-thread fold combined by a tree in workgroup memory, then each
// thread writes its strided slice. Subtracting the row max keeps exp() in range for any
// finite logit. Rows beyond the per-dimension dispatch limit continue on the y axis.

// negInfBits: bits of -inf, a uniform because WGSL rejects -inf as a constant.
struct Params { rows: u32, len: u32, negInfBits: u32, pad: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

const WG: u32 = 256u;
var<workgroup> partial: array<f32, WG>;

// Both tree reductions end with a barrier, so a following call may overwrite `partial`.
fn workgroupSum(v: f32, lid: u32) -> f32 {
  partial[lid] = v;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) { partial[lid] = partial[lid] + partial[lid + stride]; }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier();
  return total;
}

fn workgroupMax(v: f32, lid: u32) -> f32 {
  partial[lid] = v;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) { partial[lid] = max(partial[lid], partial[lid + stride]); }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) groups: vec3u) {
  let row = wid.x + wid.y * groups.x;
  if (row >= p.rows) { return; }
  let base = row * p.len;

  var m = bitcast<f32>(p.negInfBits);
  for (var j = lid; j < p.len; j += WG) { m = max(m, x[base + j]); }
  m = workgroupMax(m, lid);

  var s = 0.0;
  for (var j = lid; j < p.len; j += WG) { s += exp(x[base + j] - m); }
  s = workgroupSum(s, lid);

  if ({{LOG}}) {
    let logS = log(s);
    for (var j = lid; j < p.len; j += WG) { y[base + j] = (x[base + j] - m) - logS; }
  } else {
    let inv = 1.0 / s;
    for (var j = lid; j < p.len; j += WG) { y[base + j] = exp(x[base + j] - m) * inv; }
  }
}
