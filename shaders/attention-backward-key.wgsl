// Fused attention backward, second pass: dK and dV, FlashAttention-2 style.
//   P = exp(scale q.k - lse),  dV = P^T dO,  dS = P (dO.v - delta),  dK = scale * dS^T Q
// with lse and delta per query row from `stats` (written by attention-backward-query.wgsl).
//
// One thread owns one key row (k, v and the dK and dV accumulators in private
// memory, 4 * HEAD_DIM floats), so every output element has exactly one writer and
// no atomics are needed. The workgroup walks the queries in tiles of TILE rows of Q
// and dO, staged in workgroup memory and sized as the K and V tiles in
// attention-forward.wgsl, whose header also explains the loop bounds.

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

@group(0) @binding(0) var<storage, read> q: array<f32>;
@group(0) @binding(1) var<storage, read> k: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read> dO: array<f32>;
@group(0) @binding(4) var<storage, read> mask: array<u32>;
@group(0) @binding(5) var<storage, read> stats: array<vec2f>;
@group(0) @binding(6) var<storage, read_write> dk: array<f32>;
@group(0) @binding(7) var<storage, read_write> dv: array<f32>;
@group(0) @binding(8) var<uniform> p: Params;

var<workgroup> qTile: array<vec4f, TILE * D4>;
var<workgroup> dOTile: array<vec4f, TILE * D4>;

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

fn loadDO(base: u32, d4: u32) -> vec4f {
  var r = vec4f(0.0);
  for (var c = 0u; c < 4u; c++) { if (d4 * 4u + c < D) { r[c] = dO[base + d4 * 4u + c]; } }
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
  let key = wid.x * ROWS + lid;
  let inRange = key < p.keys;
  let keyBase = (bh * p.keys + min(key, p.keys - 1u)) * D;
  let qBase = bh * p.queries * D;

  var ks: array<vec4f, D4>;
  var vs: array<vec4f, D4>;
  var dkAcc: array<vec4f, D4>;
  var dvAcc: array<vec4f, D4>;
  for (var d4 = 0u; d4 < D4; d4++) {
    ks[d4] = loadK(keyBase, d4) * p.scale;
    vs[d4] = loadV(keyBase, d4);
  }

  // With causal masking no query before the first key of this workgroup sees it.
  var queryStart = 0u;
  if (p.causal != 0u) { queryStart = (wid.x * ROWS / TILE) * TILE; }

  for (var t0 = queryStart; t0 < p.queries; t0 += TILE) {
    let tileQueries = min(TILE, p.queries - t0);
    for (var i = lid; i < tileQueries * D4; i += ROWS) {
      let rowBase = qBase + (t0 + i / D4) * D;
      qTile[i] = loadQ(rowBase, i % D4);
      dOTile[i] = loadDO(rowBase, i % D4);
    }
    workgroupBarrier();

    if (inRange) {
      for (var i = 0u; i < tileQueries; i++) {
        let query = t0 + i;
        if (isVisible(bh, query, key)) {
          let rowStats = stats[bh * p.queries + query];
          var sv = vec4f(0.0);
          var dpv = vec4f(0.0);
          for (var d4 = 0u; d4 < D4; d4++) {
            sv += ks[d4] * qTile[i * D4 + d4];
            dpv += vs[d4] * dOTile[i * D4 + d4];
          }
          let prob = exp(sv.x + sv.y + sv.z + sv.w - rowStats.x);
          let dScore = prob * (dpv.x + dpv.y + dpv.z + dpv.w - rowStats.y);
          for (var d4 = 0u; d4 < D4; d4++) {
            dvAcc[d4] += prob * dOTile[i * D4 + d4];
            dkAcc[d4] += dScore * qTile[i * D4 + d4];
          }
        }
      }
    }
    workgroupBarrier();
  }

  if (inRange) {
    for (var d4 = 0u; d4 < D4; d4++) {
      let dkValue = dkAcc[d4] * p.scale;
      for (var c = 0u; c < 4u; c++) {
        if (d4 * 4u + c < D) {
          dk[keyBase + d4 * 4u + c] = dkValue[c];
          dv[keyBase + d4 * 4u + c] = dvAcc[d4][c];
        }
      }
    }
  }
}
