// Elementwise map y[i] = f(x[i]), where f is the expression {{EXPR}} of x and the
// scalar parameters a and b. Each thread maps 4 consecutive elements with one vec4
// load and store: llvmpipe turns every per-lane load into a gather, so 4 elements
// per load cut the memory instructions 4-fold. The thread on a tail of n % 4 elements
// writes only those. 2D grid, so more than 65535 * 256 * 4 elements fit the
// per-dimension dispatch limit.

struct Params { n: u32, a: f32, b: f32, pad: u32 }

@group(0) @binding(0) var<storage, read> x: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> y: array<vec4f>;
@group(0) @binding(2) var<uniform> p: Params;

{{HELPERS}}

fn f(v: f32) -> f32 {
  let a = p.a;
  let b = p.b;
  return {{EXPR}};
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let t = gid.x + gid.y * groups.x * 256u;
  let first = 4u * t;
  if (first >= p.n) { return; }
  let xv = x[t];
  let r = vec4f(f(xv.x), f(xv.y), f(xv.z), f(xv.w));
  if (first + 4u <= p.n) {
    y[t] = r;
    return;
  }
  for (var k = 0u; k < p.n - first; k++) { y[t][k] = r[k]; }
}
