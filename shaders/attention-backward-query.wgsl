// Fused attention backward, first pass: dQ and the row statistics, FlashAttention-2
// style. The scores are recomputed from Q, K and the saved logsumexp, so nothing
// of size queries x keys is stored:
//   P = exp(scale q.k - lse),  dP = dO.v,  delta = rowsum(dO * O),
//   dS = P (dP - delta),  dQ = scale * dS K.
//
// Each thread owns RPT query rows (q, dO and the dQ accumulator in private memory,
// 3 * RPT * HEAD_DIM floats). As in attention-forward.wgsl, whose header gives the
// reason, all threads of a workgroup walk the same keys, so K and V are read from
// storage at workgroup-uniform addresses, without workgroup memory or barriers,
// and each loaded k and v vec4 serves RPT rows.
// Each thread also writes (lse, delta) of its row to `stats`, which the
// key pass (attention-backward-key.wgsl) reads. A row with no visible key gets
// P = 0 for every key and so dQ = 0; its lse of 3e38 makes P = 0 in the key pass as well.

struct Params {
  batchHeads: u32, heads: u32, queries: u32, keys: u32,
  scale: f32, causal: u32, hasMask: u32, lseOffset: u32,
  maskBatch: u32, maskHead: u32, maskQuery: u32, maskKey: u32,
  maskIsFloat: u32, pad0: u32, pad1: u32, pad2: u32,
}

const D: u32 = {{HEAD_DIM}}u;
const D4: u32 = (D + 3u) / 4u;
// Rows of the inputs are read as vec4f (WIDTH 4) when HEAD_DIM % 4 == 0, which keeps
// every row 16-byte aligned, and as f32 (WIDTH 1) otherwise.
alias Row = {{ROW}};
const WIDTH: u32 = {{WIDTH}}u;

// Returns r with the values of x at c * WIDTH .. c * WIDTH + WIDTH - 1.
fn put(r: vec4f, c: u32, x: Row) -> vec4f {
  {{PUT}}
}

const ROWS: u32 = {{ROWS}}u;
// Rows per thread: each key row loaded serves RPT query rows.
const RPT: u32 = {{RPT}}u;

@group(0) @binding(0) var<storage, read> q: array<Row>;
@group(0) @binding(1) var<storage, read> k: array<Row>;
@group(0) @binding(2) var<storage, read> v: array<Row>;
@group(0) @binding(3) var<storage, read> o: array<f32>;
@group(0) @binding(4) var<storage, read> dO: array<Row>;
@group(0) @binding(5) var<storage, read> mask: array<u32>;
@group(0) @binding(6) var<storage, read_write> dq: array<f32>;
@group(0) @binding(7) var<storage, read_write> stats: array<vec2f>;
@group(0) @binding(8) var<uniform> p: Params;

fn loadQ(base: u32, d4: u32) -> vec4f {
  var r = vec4f(0.0);
  for (var c = 0u; c < 4u / WIDTH; c++) {
    let i = d4 * 4u + c * WIDTH;
    if (i < D) { r = put(r, c, q[(base + i) / WIDTH]); }
  }
  return r;
}

fn loadK(base: u32, d4: u32) -> vec4f {
  var r = vec4f(0.0);
  for (var c = 0u; c < 4u / WIDTH; c++) {
    let i = d4 * 4u + c * WIDTH;
    if (i < D) { r = put(r, c, k[(base + i) / WIDTH]); }
  }
  return r;
}

fn loadV(base: u32, d4: u32) -> vec4f {
  var r = vec4f(0.0);
  for (var c = 0u; c < 4u / WIDTH; c++) {
    let i = d4 * 4u + c * WIDTH;
    if (i < D) { r = put(r, c, v[(base + i) / WIDTH]); }
  }
  return r;
}

// O also contains the logsumexp after the rows, so it stays an array of f32.
fn loadO(base: u32, d4: u32) -> vec4f {
  var r = vec4f(0.0);
  for (var c = 0u; c < 4u; c++) { if (d4 * 4u + c < D) { r[c] = o[base + d4 * 4u + c]; } }
  return r;
}

fn loadDO(base: u32, d4: u32) -> vec4f {
  var r = vec4f(0.0);
  for (var c = 0u; c < 4u / WIDTH; c++) {
    let i = d4 * 4u + c * WIDTH;
    if (i < D) { r = put(r, c, dO[(base + i) / WIDTH]); }
  }
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
  // Thread lid owns rows first + lid + r * ROWS for r < RPT.
  let first = wid.x * ROWS * RPT;
  if (first + lid >= p.queries) { return; }
  let kvBase = bh * p.keys * D;

  var query: array<u32, RPT>;
  var qs: array<array<vec4f, D4>, RPT>;
  var dOut: array<array<vec4f, D4>, RPT>;
  var acc: array<array<vec4f, D4>, RPT>;
  var lse: array<f32, RPT>;
  var delta: array<f32, RPT>;
  for (var r = 0u; r < RPT; r++) {
    query[r] = min(first + lid + r * ROWS, p.queries - 1u);
    let rowIndex = bh * p.queries + query[r];
    let rowBase = rowIndex * D;
    var deltaV = vec4f(0.0);
    for (var d4 = 0u; d4 < D4; d4++) {
      qs[r][d4] = loadQ(rowBase, d4) * p.scale;
      dOut[r][d4] = loadDO(rowBase, d4);
      deltaV += dOut[r][d4] * loadO(rowBase, d4);
    }
    delta[r] = deltaV.x + deltaV.y + deltaV.z + deltaV.w;
    lse[r] = o[p.lseOffset + rowIndex];
    if (first + lid + r * ROWS < p.queries) { stats[rowIndex] = vec2f(lse[r], delta[r]); }
  }

  var keyEnd = p.keys;
  if (p.causal != 0u) { keyEnd = min(p.keys, min(first + ROWS * RPT, p.queries)); }

  for (var key = 0u; key < keyEnd; key++) {
    let keyBase = kvBase + key * D;
    var ks: array<vec4f, D4>;
    var vs: array<vec4f, D4>;
    for (var d4 = 0u; d4 < D4; d4++) {
      ks[d4] = loadK(keyBase, d4);
      vs[d4] = loadV(keyBase, d4);
    }
    for (var r = 0u; r < RPT; r++) {
      var sv = vec4f(0.0);
      var dpv = vec4f(0.0);
      for (var d4 = 0u; d4 < D4; d4++) {
        sv += qs[r][d4] * ks[d4];
        dpv += dOut[r][d4] * vs[d4];
      }
      let prob = select(0.0, exp(sv.x + sv.y + sv.z + sv.w - lse[r]), isVisible(bh, query[r], key));
      let dScore = prob * (dpv.x + dpv.y + dpv.z + dpv.w - delta[r]);
      for (var d4 = 0u; d4 < D4; d4++) { acc[r][d4] += dScore * ks[d4]; }
    }
  }

  for (var r = 0u; r < RPT; r++) {
    let row = first + lid + r * ROWS;
    if (row >= p.queries) { break; }
    let rowBase = (bh * p.queries + row) * D;
    for (var d4 = 0u; d4 < D4; d4++) {
      let value = acc[r][d4] * p.scale;
      for (var c = 0u; c < 4u; c++) { if (d4 * 4u + c < D) { dq[rowBase + d4 * 4u + c] = value[c]; } }
    }
  }
}
