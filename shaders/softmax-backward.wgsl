// Backward of row softmax and log-softmax, given the forward output y and dy:
//   softmax:     dx = y * (dy - sum(dy * y))
//   log-softmax: dx = dy - exp(y) * sum(dy)
// ({{LOG}} selects the second). One workgroup of 256 threads per row: one tree
// reduction in workgroup memory, then each thread writes its strided slice.

struct Params { rows: u32, len: u32, pad0: u32, pad1: u32 }

@group(0) @binding(0) var<storage, read> y: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

const WG: u32 = 256u;
var<workgroup> partial: array<f32, WG>;

fn workgroupSum(v: f32, lid: u32) -> f32 {
  partial[lid] = v;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) { partial[lid] = partial[lid] + partial[lid + stride]; }
    workgroupBarrier();
  }
  return partial[0];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) groups: vec3u) {
  let row = wid.x + wid.y * groups.x;
  if (row >= p.rows) { return; }
  let base = row * p.len;

  var s = 0.0;
  for (var j = lid; j < p.len; j += WG) {
    if ({{LOG}}) { s += dy[base + j]; } else { s += dy[base + j] * y[base + j]; }
  }
  s = workgroupSum(s, lid);

  for (var j = lid; j < p.len; j += WG) {
    let i = base + j;
    if ({{LOG}}) { dx[i] = dy[i] - exp(y[i]) * s; } else { dx[i] = y[i] * (dy[i] - s); }
  }
}
