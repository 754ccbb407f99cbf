// Batched matmul C[b] = epilogue(op(A[b]) @ op(B[b]) + bias), register-blocked with
// rows of A broadcast across the workgroup.
//
// A workgroup of LANES threads owns ROWS consecutive rows of C. Each thread owns
// COLS groups of 4 columns, so it keeps ROWS x COLS vec4 accumulators (8 x 2, 64
// floats, in the default tiling of src/ops/matmul.ts). The row index depends only
// on the workgroup id, so every thread reads the same element of A at each step:
// one broadcast load on a GPU, and one scalar load instead of a per-lane gather
// on llvmpipe. B is read as one vec4 per column group when its rows are contiguous
// and N % 4 == 0 (the LOAD_B define indexes an array<vec4f>), and through strides
// otherwise (transposed B, odd N).
//
// No workgroup memory: on lavapipe (Mesa 25.0, 2 cores) a 64x64-tile kernel that
// staged A and B in workgroup memory ran at 1.6 GFLOP/s at 1024^3 against about 14
// for this kernel (best of 5 runs each), because llvmpipe runs each
// workgroup-memory load as a per-lane loop.
//
// Rows past M are clamped on load and skipped on store, columns past N likewise,
// so any M, N, K (including 1) works. The EPILOGUE define is an expression
// of v (the sum plus bias), such as max(v, 0.0) for a fused ReLU.
//
// MATH_SCALAR and MATH_VEC are f32 and vec4f, or f16 and vec4h for the optional f16
// products (ENABLE is then `enable f16;`): each product is rounded to f16 and
// accumulated in f32. Every tiling sums each output over k = 0 .. K-1 in order, so all
// tilings give bitwise equal results.

{{ENABLE}}

struct Params {
  M: u32, N: u32, K: u32, batch: u32,
  aRow: u32, aCol: u32, aBatch: u32, hasBias: u32,
  bRow: u32, bCol: u32, bBatch: u32, rowBlocks: u32,
}

const LANES: u32 = {{LANES}}u;
const ROWS: u32 = {{ROWS}}u;
const COLS: u32 = {{COLS}}u;

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<{{B_ELEMENT}}>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

{{HELPERS}}

// Columns 4 * col4 .. 4 * col4 + 3 of row k of op(B[batch]); `base` is the batch offset in floats.
fn loadB(base: u32, k: u32, col4: u32) -> vec4f {
  {{LOAD_B}}
}

@compute @workgroup_size(LANES)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32,
        @builtin(num_workgroups) groups: vec3u) {
  // (row block, batch) pairs continue on z past the per-dimension dispatch limit.
  let block = wid.y + wid.z * groups.y;
  if (block >= p.rowBlocks * p.batch) { return; }
  let batch = block / p.rowBlocks;
  let row0 = (block % p.rowBlocks) * ROWS;
  let col4First = (wid.x * LANES + lane) * COLS;
  let lastCol4 = (p.N + 3u) / 4u - 1u;

  var rowBase: array<u32, ROWS>;
  for (var i = 0u; i < ROWS; i++) { rowBase[i] = batch * p.aBatch + min(row0 + i, p.M - 1u) * p.aRow; }
  let bBase = batch * p.bBatch;

  var acc: array<array<vec4f, COLS>, ROWS>;
  for (var k = 0u; k < p.K; k++) {
    var bv: array<{{MATH_VEC}}, COLS>;
    for (var j = 0u; j < COLS; j++) { bv[j] = {{MATH_VEC}}(loadB(bBase, k, min(col4First + j, lastCol4))); }
    for (var i = 0u; i < ROWS; i++) {
      let av = {{MATH_SCALAR}}(a[rowBase[i] + k * p.aCol]);
      for (var j = 0u; j < COLS; j++) { acc[i][j] += vec4f(av * bv[j]); }
    }
  }

  let cBase = batch * p.M * p.N;
  for (var i = 0u; i < ROWS; i++) {
    let row = row0 + i;
    if (row >= p.M) { break; }
    for (var j = 0u; j < COLS; j++) {
      for (var e = 0u; e < 4u; e++) {
        let col = (col4First + j) * 4u + e;
        if (col >= p.N) { break; }
        var v = acc[i][j][e];
        if (p.hasBias != 0u) { v += bias[col]; }
        c[cBase + row * p.N + col] = {{EPILOGUE}};
      }
    }
  }
}
