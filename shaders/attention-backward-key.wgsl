// Fused attention backward, second pass: dK and dV, FlashAttention-2 style.
//   P = exp(scale q.k - lse),  dV = P^T dO,  dS = P (dO.v - delta),  dK = scale * dS^T Q
// with lse and delta per query row from `stats` (written by attention-backward-query.wgsl).
//
// Each thread owns RPT key rows (k, v and the dK and dV accumulators in private
// memory, 4 * RPT * HEAD_DIM floats), so every output element has exactly one writer
// and no atomics are needed. All threads of a workgroup walk the same queries, so Q,
// dO and the stats are read from storage at workgroup-uniform addresses, without
// workgroup memory or barriers (attention-forward.wgsl explains why), and each
// loaded q and dO vec4 serves RPT key rows.

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
// Key rows per thread: each query row loaded serves RPT key rows.
const RPT: u32 = {{RPT}}u;

@group(0) @binding(0) var<storage, read> q: array<Row>;
@group(0) @binding(1) var<storage, read> k: array<Row>;
@group(0) @binding(2) var<storage, read> v: array<Row>;
@group(0) @binding(3) var<storage, read> dO: array<Row>;
@group(0) @binding(4) var<storage, read> mask: array<u32>;
@group(0) @binding(5) var<storage, read> stats: array<vec2f>;
@group(0) @binding(6) var<storage, read_write> dk: array<f32>;
@group(0) @binding(7) var<storage, read_write> dv: array<f32>;
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
  // Thread lid owns key rows first + lid + r * ROWS for r < RPT.
  let first = wid.x * ROWS * RPT;
  if (first + lid >= p.keys) { return; }
  let qBase = bh * p.queries * D;

  var key: array<u32, RPT>;
  var ks: array<array<vec4f, D4>, RPT>;
  var vs: array<array<vec4f, D4>, RPT>;
  var dkAcc: array<array<vec4f, D4>, RPT>;
  var dvAcc: array<array<vec4f, D4>, RPT>;
  for (var r = 0u; r < RPT; r++) {
    key[r] = min(first + lid + r * ROWS, p.keys - 1u);
    let keyBase = (bh * p.keys + key[r]) * D;
    for (var d4 = 0u; d4 < D4; d4++) {
      ks[r][d4] = loadK(keyBase, d4) * p.scale;
      vs[r][d4] = loadV(keyBase, d4);
    }
  }

  // With causal masking no query before the first key of this workgroup sees it.
  var queryStart = 0u;
  if (p.causal != 0u) { queryStart = first; }

  for (var query = queryStart; query < p.queries; query++) {
    let rowBase = qBase + query * D;
    let rowStats = stats[bh * p.queries + query];
    var qv: array<vec4f, D4>;
    var dov: array<vec4f, D4>;
    for (var d4 = 0u; d4 < D4; d4++) {
      qv[d4] = loadQ(rowBase, d4);
      dov[d4] = loadDO(rowBase, d4);
    }
    for (var r = 0u; r < RPT; r++) {
      var sv = vec4f(0.0);
      var dpv = vec4f(0.0);
      for (var d4 = 0u; d4 < D4; d4++) {
        sv += ks[r][d4] * qv[d4];
        dpv += vs[r][d4] * dov[d4];
      }
      let prob = select(0.0, exp(sv.x + sv.y + sv.z + sv.w - rowStats.x), isVisible(bh, query, key[r]));
      let dScore = prob * (dpv.x + dpv.y + dpv.z + dpv.w - rowStats.y);
      for (var d4 = 0u; d4 < D4; d4++) {
        dvAcc[r][d4] += prob * dov[d4];
        dkAcc[r][d4] += dScore * qv[d4];
      }
    }
  }

  for (var r = 0u; r < RPT; r++) {
    let row = first + lid + r * ROWS;
    if (row >= p.keys) { break; }
    let keyBase = (bh * p.keys + row) * D;
    for (var d4 = 0u; d4 < D4; d4++) {
      let dkValue = dkAcc[r][d4] * p.scale;
      for (var c = 0u; c < 4u; c++) {
        if (d4 * 4u + c < D) {
          dk[keyBase + d4 * 4u + c] = dkValue[c];
          dv[keyBase + d4 * 4u + c] = dvAcc[r][d4][c];
        }
      }
    }
  }
}
