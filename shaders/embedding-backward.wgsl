// Deterministic embedding backward without float atomics: one thread per (vocab row
// v, d) binary-searches the (id, position) pairs sorted by embedding-sort.wgsl for
// the segment of id v and sums its dy rows in position order, so the result is
// bit-identical across runs. mode 0: dy row = position; mode 1 (bag sum) and 2 (bag
// mean): dy row = the bag that contains the position (binary search in offsets),
// divided by the bag size for mean. Positions outside every bag contribute nothing.
// NOTE: one thread sums a whole segment, so an id repeated 1e6 times (a padding id)
// serializes 1e6 loads per element of its row.

struct Params { n: u32, dim: u32, count: u32, mode: u32, bags: u32, nnz: u32, pad0: u32, pad1: u32 }

@group(0) @binding(0) var<storage, read> pairs: array<vec2i>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> offsets: array<i32>;
@group(0) @binding(3) var<storage, read_write> dWeight: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

/** First index in [0, count) whose id is >= v. */
fn lowerBound(v: i32) -> u32 {
  var lo = 0u;
  var hi = p.count;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    if (pairs[mid].x < v) { lo = mid + 1u; } else { hi = mid; }
  }
  return lo;
}

/** The bag b with offsets[b] <= pos < offsets[b + 1], or bags when there is none. */
fn bagOf(pos: i32) -> u32 {
  var lo = 0u;
  var hi = p.bags + 1u;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    if (offsets[mid] <= pos) { lo = mid + 1u; } else { hi = mid; }
  }
  if (lo == 0u || lo > p.bags) { return p.bags; }
  return lo - 1u;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= p.n) { return; }
  let v = i32(i / p.dim);
  let d = i % p.dim;
  let end = lowerBound(v + 1);

  var acc = 0.0;
  for (var k = lowerBound(v); k < end; k++) {
    let pos = pairs[k].y;
    if (p.mode == 0u) {
      acc += dy[u32(pos) * p.dim + d];
      continue;
    }
    let bag = bagOf(pos);
    if (bag >= p.bags) { continue; }
    let size = offsets[bag + 1u] - offsets[bag];
    let g = dy[bag * p.dim + d];
    acc += select(g, g / f32(size), p.mode == 2u);
  }
  dWeight[i] = acc;
}
