// Gradient of an elementwise map: dx[i] = {{EXPR}}, an expression of the input v,
// the forward output out, the incoming gradient dy and the scalar parameters a, b.

struct Params { n: u32, a: f32, b: f32, pad: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> gy: array<f32>;
@group(0) @binding(3) var<storage, read_write> gx: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

{{HELPERS}}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= p.n) { return; }
  let v = x[i];
  let out = y[i];
  let dy = gy[i];
  let a = p.a;
  let b = p.b;
  gx[i] = {{EXPR}};
}
