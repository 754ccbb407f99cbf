// Fused attention forward, FlashAttention style: O = softmax(scale Q K^T + mask) V
// without materializing the score matrix.
//
// Each thread owns RPT query rows (lid, lid + ROWS, ...): their scaled q and output
// accumulators live in private memory (2 * RPT * HEAD_DIM floats). Every thread of a
// workgroup belongs to the same (batch, head) and walks the same keys in the same
// order, so K and V are read straight from storage at workgroup-uniform addresses,
// one vec4 per load where HEAD_DIM % 4 == 0. There is no workgroup memory and no
// barrier, because llvmpipe (Mesa 25.0) runs each workgroup-memory load as a loop
// over the SIMD lanes and each barrier as a coroutine switch. llvmpipe still loads
// a uniform address once per lane inside a loop, so the time goes with the number
// of loads: RPT rows per thread reuse each loaded k and v vec4 RPT times.

// The online softmax keeps per row the running maximum m, the running sum l of
// exp(s - m) and the accumulator, and rescales them by exp(m_old - m_new) when a
// score raises m. Loops over head-dim vectors have constant bounds, so they unroll
// and the row stays in registers. The loop over keys stays rolled: unrolled by 8,
// llvmpipe took minutes to compile head dim 64.

// Masking never computes with -inf: hidden keys get weight 0, and the running
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
const HIDDEN: f32 = -3.0e38;
const EMPTY_ROW_LSE: f32 = 3.0e38;

@group(0) @binding(0) var<storage, read> q: array<Row>;
@group(0) @binding(1) var<storage, read> k: array<Row>;
@group(0) @binding(2) var<storage, read> v: array<Row>;
@group(0) @binding(3) var<storage, read> mask: array<u32>;
@group(0) @binding(4) var<storage, read_write> o: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;

// Elements d4 * 4 .. d4 * 4 + 3 of a row; elements past D read as 0.
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
  var acc: array<array<vec4f, D4>, RPT>;
  var m: array<f32, RPT>;
  var l: array<f32, RPT>;
  for (var r = 0u; r < RPT; r++) {
    query[r] = min(first + lid + r * ROWS, p.queries - 1u);
    let qBase = (bh * p.queries + query[r]) * D;
    for (var d4 = 0u; d4 < D4; d4++) { qs[r][d4] = loadQ(qBase, d4) * p.scale; }
    m[r] = HIDDEN;
  }

  // With causal masking the last row of this workgroup sees no key past its own index.
  var keyEnd = p.keys;
  if (p.causal != 0u) { keyEnd = min(p.keys, min(first + ROWS * RPT, p.queries)); }

  for (var key = 0u; key < keyEnd; key++) {
    let keyBase = kvBase + key * D;
    var ks: array<vec4f, D4>;
    for (var d4 = 0u; d4 < D4; d4++) { ks[d4] = loadK(keyBase, d4); }
    var weight: array<f32, RPT>;
    for (var r = 0u; r < RPT; r++) {
      var dotv = vec4f(0.0);
      for (var d4 = 0u; d4 < D4; d4++) { dotv += qs[r][d4] * ks[d4]; }
      let score = dotv.x + dotv.y + dotv.z + dotv.w;
      let visible = isVisible(bh, query[r], key);
      // The state is rescaled only when the maximum grows, which after the first keys is rare.
      if (visible && score > m[r]) {
        let alpha = exp(m[r] - score);
        l[r] *= alpha;
        for (var d4 = 0u; d4 < D4; d4++) { acc[r][d4] *= alpha; }
        m[r] = score;
      }
      weight[r] = select(0.0, exp(score - m[r]), visible);
      l[r] += weight[r];
    }
    for (var d4 = 0u; d4 < D4; d4++) {
      let vv = loadV(keyBase, d4);
      for (var r = 0u; r < RPT; r++) { acc[r][d4] += weight[r] * vv; }
    }
  }

  for (var r = 0u; r < RPT; r++) {
    let row = first + lid + r * ROWS;
    if (row >= p.queries) { break; }
    let outBase = (bh * p.queries + row) * D;
    let inverse = select(0.0, 1.0 / l[r], l[r] > 0.0);
    for (var d4 = 0u; d4 < D4; d4++) {
      let value = acc[r][d4] * inverse;
      for (var c = 0u; c < 4u; c++) { if (d4 * 4u + c < D) { o[outBase + d4 * 4u + c] = value[c]; } }
    }
    o[p.lseOffset + bh * p.queries + row] = select(EMPTY_ROW_LSE, m[r] + log(l[r]), l[r] > 0.0);
  }
}
