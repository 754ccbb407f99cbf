// Fills a buffer with one 32-bit pattern (a float or an int, given as raw bits), 4
// elements per thread with one vec4 store; the thread on a tail of n % 4 elements
// writes only those.

struct Params { n: u32, bits: u32, pad0: u32, pad1: u32 }

@group(0) @binding(0) var<storage, read_write> out: array<vec4u>;
@group(0) @binding(1) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let t = gid.x + gid.y * groups.x * 256u;
  let first = 4u * t;
  if (first >= p.n) { return; }
  if (first + 4u <= p.n) {
    out[t] = vec4u(p.bits);
    return;
  }
  for (var k = 0u; k < p.n - first; k++) { out[t][k] = p.bits; }
}
