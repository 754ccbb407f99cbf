// Backward of layer normalization to x, from the saved (shift, mean) and rstd per row:
//   g = dy * weight,  xhat = ((x - shift) - mean) * rstd,
//   dx = rstd * (g - mean(g) - xhat * mean(g * xhat)).
// One workgroup of 256 threads per row; both row means come from one tree reduction.

struct Params { rows: u32, len: u32, hasWeight: u32, pad0: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> weight: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> meanIn: array<vec2f>;
@group(0) @binding(4) var<storage, read> rstdIn: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;

const WG: u32 = 256u;
var<workgroup> partial: array<vec2f, WG>;

fn scaledGrad(i: u32, j: u32) -> f32 {
  if (p.hasWeight != 0u) { return dy[i] * weight[j]; }
  return dy[i];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) groups: vec3u) {
  let row = wid.x + wid.y * groups.x;
  if (row >= p.rows) { return; }
  let base = row * p.len;
  let shift = meanIn[row].x;
  let mean = meanIn[row].y;
  let rstd = rstdIn[row];

  // .x: sum of g, .y: sum of g * xhat.
  var acc = vec2f(0.0);
  for (var j = lid; j < p.len; j += WG) {
    let g = scaledGrad(base + j, j);
    acc += vec2f(g, g * ((x[base + j] - shift) - mean) * rstd);
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) { partial[lid] = partial[lid] + partial[lid + stride]; }
    workgroupBarrier();
  }
  let means = partial[0] / f32(p.len);

  for (var j = lid; j < p.len; j += WG) {
    let xhat = ((x[base + j] - shift) - mean) * rstd;
    dx[base + j] = rstd * (scaledGrad(base + j, j) - means.x - xhat * means.y);
  }
}
