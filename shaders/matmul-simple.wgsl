// The previous matmul kernel, kept as the benchmark baseline (bench/variants/matmul-simple.ts):
// C[b] = epilogue(A[b] @ B[b] + bias) with 4x4 register blocking and scalar loads.
//
// Each thread computes a 4x4 block of C, so a workgroup of 8x8 threads covers a
// 32x32 tile. Operands are read through strides and a batch stride of 0
// broadcasts one matrix over the batch. Rows and columns past M and N are clamped
// on load and skipped on store. The EPILOGUE define is an expression of v (the
// sum plus bias).

struct Params {
  M: u32, N: u32, K: u32, batch: u32,
  aRow: u32, aCol: u32, aBatch: u32, hasBias: u32,
  bRow: u32, bCol: u32, bBatch: u32, pad0: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

{{HELPERS}}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let batch = gid.z;
  let row0 = gid.y * 4u;
  let col0 = gid.x * 4u;
  if (batch >= p.batch || row0 >= p.M || col0 >= p.N) { return; }

  let aBase = batch * p.aBatch;
  let bBase = batch * p.bBatch;
  var rows: array<u32, 4>;
  var cols: array<u32, 4>;
  for (var i = 0u; i < 4u; i++) {
    rows[i] = aBase + min(row0 + i, p.M - 1u) * p.aRow;
    cols[i] = bBase + min(col0 + i, p.N - 1u) * p.bCol;
  }

  var acc: array<vec4f, 4>;
  for (var k = 0u; k < p.K; k++) {
    let ak = k * p.aCol;
    let bk = k * p.bRow;
    let bv = vec4f(b[cols[0] + bk], b[cols[1] + bk], b[cols[2] + bk], b[cols[3] + bk]);
    acc[0] += a[rows[0] + ak] * bv;
    acc[1] += a[rows[1] + ak] * bv;
    acc[2] += a[rows[2] + ak] * bv;
    acc[3] += a[rows[3] + ak] * bv;
  }

  let cBase = batch * p.M * p.N;
  for (var i = 0u; i < 4u; i++) {
    let row = row0 + i;
    if (row >= p.M) { break; }
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + j;
      if (col >= p.N) { break; }
      var v = acc[i][j];
      if (p.hasBias != 0u) { v += bias[col]; }
      c[cBase + row * p.N + col] = {{EPILOGUE}};
    }
  }
}
