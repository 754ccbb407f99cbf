// Batched matmul for few output columns (N <= 4, e.g. a matrix-vector product):
// C[b] = epilogue(op(A[b]) @ op(B[b]) + bias).
//
// The row-broadcast kernel in matmul.wgsl spreads threads over columns, so with
// N <= 4 all but one thread per workgroup would idle. Here each thread owns one
// row of C and all its N_COLS columns. It walks K four elements at a time: one
// vec4 of its A row (the LOAD_A define indexes an array<vec4f> when the rows of A are
// contiguous and K % 4 == 0) dotted with four elements of each B column, which are
// the same for every thread. A B column that is contiguous and 4-aligned (a
// matrix-vector product) is read as one vec4 (LOAD_B). On lavapipe (2 CPU cores,
// under load, so rough) that made 4096x512x1 about 2x faster than reading each
// element behind its own `k < K` branch. Elements past K read as 0; rows past M are clamped on load and
// skipped on store.
//
// DOT is dot(av, bv), or for the optional f16 products (ENABLE is then `enable f16;`)
// the same four products rounded to f16 and summed in f32.

{{ENABLE}}

struct Params {
  M: u32, N: u32, K: u32, batch: u32,
  aRow: u32, aCol: u32, aBatch: u32, hasBias: u32,
  bRow: u32, bCol: u32, bBatch: u32, rowBlocks: u32,
}

const LANES: u32 = {{LANES}}u;
const N_COLS: u32 = {{N_COLS}}u;

@group(0) @binding(0) var<storage, read> a: array<{{A_ELEMENT}}>;
@group(0) @binding(1) var<storage, read> b: array<{{B_ELEMENT}}>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

{{HELPERS}}

// Elements k0 .. k0 + 3 of a row of op(A) that starts at float offset `base`.
fn loadA(base: u32, k0: u32) -> vec4f {
  {{LOAD_A}}
}

// Elements k0 .. k0 + 3 of column `col` of op(B[batch]); `base` is the batch offset in floats.
fn loadB(base: u32, k0: u32, col: u32) -> vec4f {
  {{LOAD_B}}
}

@compute @workgroup_size(LANES)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32,
        @builtin(num_workgroups) groups: vec3u) {
  let block = wid.y + wid.z * groups.y;
  if (block >= p.rowBlocks * p.batch) { return; }
  let batch = block / p.rowBlocks;
  let row = (block % p.rowBlocks) * LANES + lane;
  let aBase = batch * p.aBatch + min(row, p.M - 1u) * p.aRow;
  let bBase = batch * p.bBatch;

  var acc: array<f32, N_COLS>;
  for (var k0 = 0u; k0 < p.K; k0 += 4u) {
    let av = loadA(aBase, k0);
    for (var j = 0u; j < N_COLS; j++) {
      let bv = loadB(bBase, k0, j);
      acc[j] += {{DOT}};
    }
  }

  if (row >= p.M) { return; }
  let cBase = batch * p.M * p.N + row * p.N;
  for (var j = 0u; j < N_COLS; j++) {
    var v = acc[j];
    if (p.hasBias != 0u) { v += bias[j]; }
    c[cBase + j] = {{EPILOGUE}};
  }
}
