// Fills a buffer with one 32-bit pattern (a float or an int, given as raw bits).

struct Params { n: u32, bits: u32, pad0: u32, pad1: u32 }

@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@group(0) @binding(1) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= p.n) { return; }
  out[i] = p.bits;
}
