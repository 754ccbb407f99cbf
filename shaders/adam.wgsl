// One Adam or AdamW step in place on param, m and v (PyTorch's single-tensor math):
//   decoupled (AdamW): param *= decay, where decay = 1 - lr * weightDecay
//   otherwise (L2):    g += weightDecay * param (skipped when weightDecay = 0)
//   m = m + (1 - beta1) (g - m);  v = beta2 v + (1 - beta2) g^2
//   param -= stepSize * (m / (sqrt(v) / bc2Sqrt + eps))
// with stepSize = lr / (1 - beta1^t) and bc2Sqrt = sqrt(1 - beta2^t). Every scalar is
// computed on the CPU in float64 and rounded once, as PyTorch passes Python floats.
// One thread per element.

struct Params {
  n: u32, decoupled: u32, decay: f32, weightDecay: f32,
  beta2: f32, oneMinusBeta1: f32, oneMinusBeta2: f32, eps: f32,
  stepSize: f32, bc2Sqrt: f32, pad0: u32, pad1: u32,
}

@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= p.n) { return; }
  var w = param[i];
  var g = grad[i];
  if (p.decoupled != 0u) {
    w = w * p.decay;
  } else if (p.weightDecay != 0.0) {
    g = g + p.weightDecay * w;
  }

  let mi = m[i] + p.oneMinusBeta1 * (g - m[i]);
  let vi = p.beta2 * v[i] + p.oneMinusBeta2 * (g * g);
  m[i] = mi;
  v[i] = vi;
  param[i] = w - p.stepSize * (mi / (sqrt(vi) / p.bc2Sqrt + p.eps));
}
