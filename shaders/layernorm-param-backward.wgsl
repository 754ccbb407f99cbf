// Backward of layer normalization to weight and bias, summed over rows:
//   dweight[j] = sum_r dy[r, j] * xhat[r, j],  dbias[j] = sum_r dy[r, j],
// with xhat rebuilt from the saved (shift, mean) and rstd of each row.
// A workgroup of 32 columns x 8 row lanes: lane k of column j folds rows k, k + 8, ...
// in order, then the 8 lanes are added by a tree in workgroup memory. No atomics, so
// the result is the same on every run. Reads of a row are contiguous across columns.

struct Params { rows: u32, len: u32, pad0: u32, pad1: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> meanIn: array<vec2f>;
@group(0) @binding(3) var<storage, read> rstdIn: array<f32>;
@group(0) @binding(4) var<storage, read_write> dWeight: array<f32>;
@group(0) @binding(5) var<storage, read_write> dBias: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;

const COLS: u32 = 32u;
const LANES: u32 = 8u;
var<workgroup> partial: array<array<vec2f, COLS>, LANES>;

@compute @workgroup_size(COLS, LANES)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let j = wid.x * COLS + lid.x;
  var acc = vec2f(0.0);
  if (j < p.len) {
    for (var r = lid.y; r < p.rows; r += LANES) {
      let i = r * p.len + j;
      let g = dy[i];
      let stats = meanIn[r];
      acc += vec2f(g * ((x[i] - stats.x) - stats.y) * rstdIn[r], g);
    }
  }
  partial[lid.y][lid.x] = acc;
  workgroupBarrier();
  for (var stride = LANES / 2u; stride > 0u; stride = stride / 2u) {
    if (lid.y < stride) { partial[lid.y][lid.x] = partial[lid.y][lid.x] + partial[lid.y + stride][lid.x]; }
    workgroupBarrier();
  }
  if (lid.y == 0u && j < p.len) {
    dWeight[j] = partial[0][lid.x].x;
    dBias[j] = partial[0][lid.x].y;
  }
}
