// One Adam or AdamW step in place on param, m and v (PyTorch's single-tensor math):
//   decoupled (AdamW): param *= decay, where decay = 1 - lr * weightDecay
//   otherwise (L2):    g += weightDecay * param (skipped when weightDecay = 0)
//   m = m + (1 - beta1) (g - m);  v = beta2 v + (1 - beta2) g^2
//   param -= stepSize * (m / (sqrt(v) / bc2Sqrt + eps))
// with stepSize = lr / (1 - beta1^t) and bc2Sqrt = sqrt(1 - beta2^t). Every scalar is
// computed on the CPU in float64 and rounded once, as PyTorch passes Python floats.
// Each thread updates 4 consecutive elements with vec4 loads (llvmpipe turns every
// per-lane load into a gather). The thread on a tail of n % 4 elements writes only those.

struct Params {
  n: u32, decoupled: u32, decay: f32, weightDecay: f32,
  beta2: f32, oneMinusBeta1: f32, oneMinusBeta2: f32, eps: f32,
  stepSize: f32, bc2Sqrt: f32, pad0: u32, pad1: u32,
}

@group(0) @binding(0) var<storage, read_write> param: array<vec4f>;
@group(0) @binding(1) var<storage, read> grad: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> m: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> v: array<vec4f>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let t = gid.x + gid.y * groups.x * 256u;
  let first = 4u * t;
  if (first >= p.n) { return; }
  var w = param[t];
  var g = grad[t];
  if (p.decoupled != 0u) {
    w = w * p.decay;
  } else if (p.weightDecay != 0.0) {
    g = g + p.weightDecay * w;
  }

  let mt = m[t];
  let mi = mt + p.oneMinusBeta1 * (g - mt);
  let vi = p.beta2 * v[t] + p.oneMinusBeta2 * (g * g);
  let wi = w - p.stepSize * (mi / (sqrt(vi) / p.bc2Sqrt + p.eps));
  if (first + 4u <= p.n) {
    m[t] = mi;
    v[t] = vi;
    param[t] = wi;
    return;
  }
  for (var k = 0u; k < p.n - first; k++) {
    m[t][k] = mi[k];
    v[t][k] = vi[k];
    param[t][k] = wi[k];
  }
}
