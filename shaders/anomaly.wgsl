// Scans a float32 tensor for NaN and Inf, for anomaly detection. The test is on the
// bit pattern (exponent bits all ones: NaN when the mantissa is nonzero, else Inf),
// because a compiler may fold `v != v` to false. flags[0] keeps the smallest sequence
// number of a tensor with a NaN and flags[1] of one with an Inf (0xffffffff = none),
// so the first offending op wins whatever order the checks finish in.

struct Params { n: u32, seq: u32, pad0: u32, pad1: u32 }

@group(0) @binding(0) var<storage, read> values: array<u32>;
@group(0) @binding(1) var<storage, read_write> flags: array<atomic<u32>, 2>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= p.n) { return; }
  let bits = values[i];
  if ((bits & 0x7f800000u) != 0x7f800000u) { return; }
  if ((bits & 0x007fffffu) != 0u) {
    atomicMin(&flags[0], p.seq);
  } else {
    atomicMin(&flags[1], p.seq);
  }
}
