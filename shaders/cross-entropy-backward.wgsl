// Backward of the fused cross-entropy: dx_ij = g_i (softmax(x_i)_j - q_ij), with the
// smoothed target q_ij = (1 - eps) [j == t_i] + eps / C and the softmax rebuilt from
// the saved row stats (max, log sum exp(x - max)). g_i is the upstream gradient of
// row i: dy[i] for reduction 'none' (mode 0), dy[0] for 'sum' (mode 1), dy[0] / count
// for 'mean' (mode 2), where count is the number of non-ignored rows. Ignored rows get
// 0; rows with an out-of-range target get NaN. One thread per element.

struct Params {
  n: u32, classes: u32, ignoreIndex: i32, smoothing: f32,
  mode: u32, nanBits: u32, pad0: u32, pad1: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> targets: array<i32>;
@group(0) @binding(2) var<storage, read> stats: array<vec2f>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read> count: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
@group(0) @binding(6) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= p.n) { return; }
  let row = i / p.classes;
  let j = i % p.classes;
  let t = targets[row];
  if (t == p.ignoreIndex) {
    dx[i] = 0.0;
    return;
  }
  if (t < 0 || u32(t) >= p.classes) {
    dx[i] = bitcast<f32>(p.nanBits);
    return;
  }

  var g = dy[0];
  if (p.mode == 0u) { g = dy[row]; }
  if (p.mode == 2u) { g = g / count[0]; }
  let q = select(0.0, 1.0 - p.smoothing, u32(t) == j) + p.smoothing / f32(p.classes);
  dx[i] = g * (exp((x[i] - stats[row].x) - stats[row].y) - q);
}
