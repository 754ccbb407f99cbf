// Bitonic sort of (id, position) pairs by id, then position, for the deterministic
// embedding backward. Keys are unique, so the sorted order does not depend on the
// sort's instability or on thread timing. n is a power of two; positions >= count
// are padding with id = i32 max, which sorts last.
// stage 0 fills pairs[i] = (ids[i], i); a later stage runs one compare-exchange step
// (block size k, distance j) of the bitonic network over all n elements.

struct Params { n: u32, count: u32, k: u32, j: u32, fill: u32, pad0: u32, pad1: u32, pad2: u32 }

@group(0) @binding(0) var<storage, read> ids: array<i32>;
@group(0) @binding(1) var<storage, read_write> pairs: array<vec2i>;
@group(0) @binding(2) var<uniform> p: Params;

fn less(a: vec2i, b: vec2i) -> bool {
  return a.x < b.x || (a.x == b.x && a.y < b.y);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= p.n) { return; }
  if (p.fill != 0u) {
    pairs[i] = vec2i(select(2147483647, ids[min(i, p.count - 1u)], i < p.count), i32(i));
    return;
  }
  let partner = i ^ p.j;
  if (partner <= i) { return; }
  let a = pairs[i];
  let b = pairs[partner];
  let ascending = (i & p.k) == 0u;
  if (less(b, a) == ascending) {
    pairs[i] = b;
    pairs[partner] = a;
  }
}
