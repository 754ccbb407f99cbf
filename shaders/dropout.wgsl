// Dropout with a counter-based RNG: element i is kept when hash(seed, i) >= threshold
// (threshold = p * 2^32) and then scaled by 1 / (1 - p); otherwise it is 0. With pcg
// the PCG hash below, hash(seed, i) = pcg(pcg(i ^ pcg(seed)) + seed), so a mask depends
// only on (seed, i) and the backward pass rebuilds it by running this same kernel on
// dy. One thread per element.

struct Params { n: u32, seed: u32, threshold: u32, scale: f32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

// PCG hash: one LCG step, then PCG's RXS-M-XS output permutation. Each step is invertible.
fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= p.n) { return; }
  let h = pcg(pcg(i ^ pcg(p.seed)) + p.seed);
  y[i] = select(0.0, x[i] * p.scale, h >= p.threshold);
}
