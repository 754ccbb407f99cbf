// Gradient of an elementwise map: dx[i] = {{EXPR}}, an expression of the input v,
// the forward output out, the incoming gradient dy and the scalar parameters a, b.
// Each thread handles 4 consecutive elements with vec4 loads, as unary.wgsl does.

struct Params { n: u32, a: f32, b: f32, pad: u32 }

@group(0) @binding(0) var<storage, read> x: array<vec4f>;
@group(0) @binding(1) var<storage, read> y: array<vec4f>;
@group(0) @binding(2) var<storage, read> gy: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> gx: array<vec4f>;
@group(0) @binding(4) var<uniform> p: Params;

{{HELPERS}}

fn g(v: f32, out: f32, dy: f32) -> f32 {
  let a = p.a;
  let b = p.b;
  return {{EXPR}};
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let t = gid.x + gid.y * groups.x * 256u;
  let first = 4u * t;
  if (first >= p.n) { return; }
  let v = x[t];
  let out = y[t];
  let dy = gy[t];
  let r = vec4f(g(v.x, out.x, dy.x), g(v.y, out.y, dy.y), g(v.z, out.z, dy.z), g(v.w, out.w, dy.w));
  if (first + 4u <= p.n) {
    gx[t] = r;
    return;
  }
  for (var k = 0u; k < p.n - first; k++) { gx[t][k] = r[k]; }
}
