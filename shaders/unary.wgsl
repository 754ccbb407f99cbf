// Elementwise map y[i] = f(x[i]), where f is the expression {{EXPR}} of x and the
// scalar parameters a and b. One thread per element; 2D grid so that more than
// 65535 * 256 elements fit the per-dimension dispatch limit.

struct Params { n: u32, a: f32, b: f32, pad: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

{{HELPERS}}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= p.n) { return; }
  let v = x[i];
  let a = p.a;
  let b = p.b;
  y[i] = {{EXPR}};
}
