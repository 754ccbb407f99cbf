// One SGD step in place (PyTorch's single-tensor math):
//   g += weightDecay * param (skipped when weightDecay = 0, so an inf param stays inf)
//   with momentum: buf = g on the first step, else momentum * buf + (1 - dampening) g;
//                  g = g + momentum * buf (nesterov) or g = buf
//   param -= lr * g
// One thread per element; buf is bound to a placeholder and untouched without momentum.

struct Params {
  n: u32, useMomentum: u32, firstStep: u32, nesterov: u32,
  lr: f32, momentum: f32, dampening: f32, weightDecay: f32,
}

@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> buf: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= p.n) { return; }
  let w = param[i];
  var g = grad[i];
  if (p.weightDecay != 0.0) { g = g + p.weightDecay * w; }
  if (p.useMomentum != 0u) {
    var b = g;
    if (p.firstStep == 0u) { b = p.momentum * buf[i] + (1.0 - p.dampening) * g; }
    buf[i] = b;
    g = select(b, g + p.momentum * b, p.nesterov != 0u);
  }
  param[i] = w - p.lr * g;
}
