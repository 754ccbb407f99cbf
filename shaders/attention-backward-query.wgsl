// Fused attention backward, first pass: dQ and the row statistics, FlashAttention-2
// style. The scores are recomputed from Q, K and the saved logsumexp, so nothing
// of size queries x keys is stored:
//   P = exp(scale q.k - lse),  dP = dO.v,  delta = rowsum(dO * O),
//   dS = P (dP - delta),  dQ = scale * dS K.
//
// One thread owns one query row (q, dO and the dQ accumulator in private memory,
// 3 * HEAD_DIM floats). K and V are staged in workgroup memory in tiles of TILE
// keys, sized as in attention-forward.wgsl, whose header also explains the loop
// bounds. Each thread also writes (lse, delta) of its row to `stats`, which the
// key pass (attention-backward-key.wgsl) reads. A row with no visible key skips
// every key and gets dQ = 0; its lse of 3e38 makes P = 0 in the key pass as well.

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
@group(0) @binding(3) var<storage, read> o: array<f32>;
@group(0) @binding(4) var<storage, read> dO: array<f32>;
@group(0) @binding(5) var<storage, read> mask: array<u32>;
@group(0) @binding(6) var<storage, read_write> dq: array<f32>;
@group(0) @binding(7) var<storage, read_write> stats: array<vec2f>;
@group(0) @binding(8) var<uniform> p: Params;

var<workgroup> kTile: array<vec4f, TILE * D4>;
var<workgroup> vTile: array<vec4f, TILE * D4>;

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

fn loadO(base: u32, d4: u32) -> vec4f {
  var r = vec4f(0.0);
  for (var c = 0u; c < 4u; c++) { if (d4 * 4u + c < D) { r[c] = o[base + d4 * 4u + c]; } }
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
  let row = wid.x * ROWS + lid;
  let inRange = row < p.queries;
  let rowIndex = bh * p.queries + min(row, p.queries - 1u);
  let rowBase = rowIndex * D;
  let kvBase = bh * p.keys * D;

  var qs: array<vec4f, D4>;
  var dOut: array<vec4f, D4>;
  var acc: array<vec4f, D4>;
  var deltaV = vec4f(0.0);
  for (var d4 = 0u; d4 < D4; d4++) {
    qs[d4] = loadQ(rowBase, d4) * p.scale;
    dOut[d4] = loadDO(rowBase, d4);
    deltaV += dOut[d4] * loadO(rowBase, d4);
  }
  let delta = deltaV.x + deltaV.y + deltaV.z + deltaV.w;
  let lse = o[p.lseOffset + rowIndex];
  if (inRange) { stats[rowIndex] = vec2f(lse, delta); }

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
          var sv = vec4f(0.0);
          var dpv = vec4f(0.0);
          for (var d4 = 0u; d4 < D4; d4++) {
            sv += qs[d4] * kTile[j * D4 + d4];
            dpv += dOut[d4] * vTile[j * D4 + d4];
          }
          let prob = exp(sv.x + sv.y + sv.z + sv.w - lse);
          let dScore = prob * (dpv.x + dpv.y + dpv.z + dpv.w - delta);
          for (var d4 = 0u; d4 < D4; d4++) { acc[d4] += dScore * kTile[j * D4 + d4]; }
        }
      }
    }
    workgroupBarrier();
  }

  if (inRange) {
    for (var d4 = 0u; d4 < D4; d4++) {
      let value = acc[d4] * p.scale;
      for (var c = 0u; c < 4u; c++) { if (d4 * 4u + c < D) { dq[rowBase + d4 * 4u + c] = value[c]; } }
    }
  }
}
