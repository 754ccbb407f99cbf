// Fused attention forward, FlashAttention style: O = softmax(scale Q K^T + mask) V
// without materializing the score matrix.
//
// One thread owns one query row: its scaled q and its output accumulator live in
// private memory, so each thread needs 2 * HEAD_DIM floats of registers. The
// workgroup walks the keys in tiles of TILE rows of K and V, staged in workgroup
// memory, and keeps the online softmax state per row: the running maximum m and
// the running sum l of exp(s - m). When a score raises m, l and the accumulator
// are rescaled by exp(m_old - m_new).
//
// Loops over head-dim vectors have constant bounds, so they unroll and the row
// stays in registers. Loops over keys have a run-time bound: unrolled as well,
// they made llvmpipe (Mesa 25.0) take over a minute to compile head dim 64.
//
// Tile size: the K and V tiles take 2 * TILE * ceil(HEAD_DIM / 4) * 16 bytes, and
// TILE is the largest size (at most 32) that fits maxComputeWorkgroupStorageSize.
// At the WebGPU default minimum of 16 KiB that gives TILE = 16 for HEAD_DIM 128,
// TILE = 8 for 256, and TILE = 1 at the maximum HEAD_DIM of 2048 (src/ops/attention.ts
// rejects larger head dims).
//
// Masking never computes with -inf: hidden keys are skipped, and the running
// maximum starts at the finite HIDDEN. A row with no visible key outputs zeros and stores
// the logsumexp EMPTY_ROW_LSE, so exp(s - lse) is 0 for every finite s in the
// backward pass. The logsumexp of each row is stored after the output, at
// o[p.lseOffset + row].

struct Params {
  batchHeads: u32, heads: u32, queries: u32, keys: u32,
  scale: f32, causal: u32, hasMask: u32, lseOffset: u32,
  maskBatch: u32, maskHead: u32, maskQuery: u32, maskKey: u32,
  maskIsFloat: u32, pad0: u32, pad1: u32, pad2: u32,
}

const D: u32 = {{HEAD_DIM}}u;
const D4: u32 = (D + 3u) / 4u;
const TILE: u32 = {{TILE}}u;
const ROWS: u32 = {{ROWS}}u;
const HIDDEN: f32 = -3.0e38;
const EMPTY_ROW_LSE: f32 = 3.0e38;

@group(0) @binding(0) var<storage, read> q: array<f32>;
@group(0) @binding(1) var<storage, read> k: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read> mask: array<u32>;
@group(0) @binding(4) var<storage, read_write> o: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;

var<workgroup> kTile: array<vec4f, TILE * D4>;
var<workgroup> vTile: array<vec4f, TILE * D4>;

// Elements d4 * 4 .. d4 * 4 + 3 of a row; elements past D read as 0.
fn loadQ(base: u32, d4: u32) -> vec4f {
  var r = vec4f(0.0);
  for (var c = 0u; c < 4u; c++) { if (d4 * 4u + c < D) { r[c] = q[base + d4 * 4u + c]; } }
  return r;
}

fn loadK(base: u32, d4: u32) -> vec4f {
  var r = vec4f(0.0);
  for (var c = 0u; c < 4u; c++) { if (d4 * 4u + c < D) { r[c] = k[base + d4 * 4u + c]; } }
  return r;
}

fn loadV(base: u32, d4: u32) -> vec4f {
  var r = vec4f(0.0);
  for (var c = 0u; c < 4u; c++) { if (d4 * 4u + c < D) { r[c] = v[base + d4 * 4u + c]; } }
  return r;
}

// Causal masking is top-left aligned, as in PyTorch: query i sees keys 0..i.
fn isVisible(bh: u32, query: u32, key: u32) -> bool {
  if (p.causal != 0u && key > query) { return false; }
  if (p.hasMask != 0u) {
    let b = bh / p.heads;
    let h = bh % p.heads;
    let index = b * p.maskBatch + h * p.maskHead + query * p.maskQuery + key * p.maskKey;
    // The mask's bits: an int32 mask is visible where nonzero, a float32 mask where not +-0.
    let bits = mask[index];
    return select(bits, bits & 0x7fffffffu, p.maskIsFloat != 0u) != 0u;
  }
  return true;
}

@compute @workgroup_size(ROWS)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32,
        @builtin(num_workgroups) groups: vec3u) {
  let bh = wid.y + wid.z * groups.y;
  if (bh >= p.batchHeads) { return; }
  let row = wid.x * ROWS + lid;
  let inRange = row < p.queries;
  let qBase = (bh * p.queries + min(row, p.queries - 1u)) * D;
  let kvBase = bh * p.keys * D;

  var qs: array<vec4f, D4>;
  var acc: array<vec4f, D4>;
  for (var d4 = 0u; d4 < D4; d4++) { qs[d4] = loadQ(qBase, d4) * p.scale; }
  var m = HIDDEN;
  var l = 0.0;

  // With causal masking the last row of this workgroup sees no key past its own index.
  var keyEnd = p.keys;
  if (p.causal != 0u) { keyEnd = min(p.keys, min((wid.x + 1u) * ROWS, p.queries)); }

  for (var t0 = 0u; t0 < keyEnd; t0 += TILE) {
    let tileKeys = min(TILE, p.keys - t0);
    for (var i = lid; i < tileKeys * D4; i += ROWS) {
      let keyBase = kvBase + (t0 + i / D4) * D;
      kTile[i] = loadK(keyBase, i % D4);
      vTile[i] = loadV(keyBase, i % D4);
    }
    workgroupBarrier();

    if (inRange) {
      for (var j = 0u; j < tileKeys; j++) {
        if (isVisible(bh, row, t0 + j)) {
          var dotv = vec4f(0.0);
          for (var d4 = 0u; d4 < D4; d4++) { dotv += qs[d4] * kTile[j * D4 + d4]; }
          let score = dotv.x + dotv.y + dotv.z + dotv.w;
          if (score > m) {
            let alpha = exp(m - score);
            l *= alpha;
            for (var d4 = 0u; d4 < D4; d4++) { acc[d4] *= alpha; }
            m = score;
          }
          let weight = exp(score - m);
          l += weight;
          for (var d4 = 0u; d4 < D4; d4++) { acc[d4] += weight * vTile[j * D4 + d4]; }
        }
      }
    }
    workgroupBarrier();
  }

  if (inRange) {
    let outBase = (bh * p.queries + row) * D;
    let inverse = select(0.0, 1.0 / l, l > 0.0);
    for (var d4 = 0u; d4 < D4; d4++) {
      let value = acc[d4] * inverse;
      for (var c = 0u; c < 4u; c++) { if (d4 * 4u + c < D) { o[outBase + d4 * 4u + c] = value[c]; } }
    }
    o[p.lseOffset + bh * p.queries + row] = select(EMPTY_ROW_LSE, m + log(l), l > 0.0);
  }
}
