// Matrix multiplication: 2D, batched with broadcast batch dims, either operand
// transposed without a copy, and an optional fused bias + activation epilogue.
//
// Two kernels: shaders/matmul.wgsl (row-broadcast, register-blocked) for N > 4
// and shaders/matmul-vector.wgsl (one thread per output row) for N <= 4. The tile
// configuration comes from the adapter (see matmulTiling).

import { record } from '../autograd/engine.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import { gpu } from '../gpu/device.js';
import { dispatch, packParams, placeholderBuffer } from '../gpu/runtime.js';
import { broadcastShapes, formatShape, sameShape, sizeOf, stridesOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { compare } from './binary.js';
import { gelu, UNARY_OPS } from './elementwise.js';
import { assertFloat, filled, gather } from './kernels.js';
import { sumToShape } from './reduce.js';
import { expand, reshape } from './shape-ops.js';

export type Epilogue = 'none' | 'relu' | 'gelu' | 'geluTanh';

export interface MatmulOptions {
  /** Read `a` as its last two dims swapped. */
  transA?: boolean;
  /** Read `b` as its last two dims swapped. */
  transB?: boolean;
  /** Added to every row of the result; shape [N]. */
  bias?: Tensor;
  /**
   * Activation applied after the bias. 'gelu' is the exact (erf) GELU, 'geluTanh'
   * its tanh approximation; both are fused only when no gradient is recorded.
   */
  activation?: Epilogue;
}

const ACTIVATIONS: readonly Epilogue[] = ['none', 'relu', 'gelu', 'geluTanh'];

/** WGSL expression of v for an activation; the GELU ones come from the elementwise table so they match gelu(). */
function epilogueFor(activation: Epilogue): { expression: string; helpers: string } {
  // Looked up at call time: elementwise.ts may not be initialized yet when this module loads.
  if (activation === 'relu') return { expression: 'max(v, 0.0)', helpers: '' };
  if (activation === 'gelu') return { expression: UNARY_OPS.geluErf.forward, helpers: UNARY_OPS.geluErf.helpers };
  if (activation === 'geluTanh') return { expression: UNARY_OPS.geluTanh.forward, helpers: UNARY_OPS.geluTanh.helpers };
  return { expression: 'v', helpers: '' };
}

/** Bodies of loadB in matmul.wgsl and loadA in matmul-vector.wgsl: vec4 loads where aligned, strided otherwise. */
export const MATMUL_LOADS = {
  vec4B: 'return b[(base + k * p.bRow) / 4u + col4];',
  stridedB: `let row = base + k * p.bRow;
  let c0 = col4 * 4u;
  let last = p.N - 1u;
  return vec4f(b[row + min(c0, last) * p.bCol], b[row + min(c0 + 1u, last) * p.bCol],
               b[row + min(c0 + 2u, last) * p.bCol], b[row + min(c0 + 3u, last) * p.bCol]);`,
  vec4A: 'return a[(base + k0) / 4u];',
  stridedA: `var r = vec4f(0.0);
  for (var e = 0u; e < 4u; e++) { if (k0 + e < p.K) { r[e] = a[base + (k0 + e) * p.aCol]; } }
  return r;`,
};

export interface MatmulTiling {
  /** Threads per workgroup: one subgroup where the adapter reports its size. */
  lanes: number;
  /** Rows of C per workgroup (and per thread) in matmul.wgsl. */
  rows: number;
  /** vec4 column groups per thread in matmul.wgsl. */
  cols: number;
}

/**
 * Tiling for an M x N output on the current adapter. A workgroup is one subgroup
 * (subgroupMaxSize, 8 on llvmpipe's 256-bit SIMD, 32 or 64 on most GPUs, and 32 when
 * the adapter does not report it), so the rows of A are broadcast within a subgroup.
 * 8 rows x 2 vec4 columns keep 64 accumulators per thread; small M or N shrink
 * the block so fewer threads compute clamped duplicates.
 */
export function matmulTiling(M: number, N: number): MatmulTiling {
  const { adapter, limits } = gpu();
  const subgroup = (adapter.info as { subgroupMaxSize?: number }).subgroupMaxSize ?? 32;
  const lanes = Math.min(64, Math.max(4, subgroup), limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
  const rows = Math.min(8, 2 ** Math.ceil(Math.log2(Math.max(M, 1))));
  const cols = N > 4 * lanes ? 2 : 1;
  return { lanes, rows, cols };
}

/** Below this many rows of C, a transposed B is read through strides instead of copied first. */
const MIN_ROWS_TO_COPY_B = 16;

interface Operand {
  t: Tensor;
  row: number;
  col: number;
  batch: number;
}

/** Runs a kernel on operands whose batch dims are already equal or 1. No autograd. */
function runMatmul(a: Tensor, b: Tensor, batchShape: number[], options: MatmulOptions, activation: Epilogue): Tensor {
  const transA = options.transA ?? false;
  let transB = options.transB ?? false;
  const [aRows, aCols] = a.shape.slice(-2);
  const M = transA ? aCols : aRows;
  const K = transA ? aRows : aCols;
  const N = transB ? b.shape[b.rank - 2] : b.shape[b.rank - 1];
  const batch = sizeOf(batchShape);
  if (batch * M * N === 0) return Tensor.empty([...batchShape, M, N], 'float32', 'matmul');
  if (K === 0) return filled([...batchShape, M, N], 0, 'float32', 'matmul');

  // A transposed B would be read with one scalar load per element; a copy costs one pass over B.
  let bIn = b;
  if (transB && N > 4 && N % 4 === 0 && M >= MIN_ROWS_TO_COPY_B) {
    const lead = b.shape.slice(0, -2);
    const strides = stridesOf(b.shape);
    bIn = gather(b, [...lead, K, N], [...strides.slice(0, -2), 1, K], 'matmul (transpose B)');
    transB = false;
  }

  const A: Operand = { t: a, row: transA ? 1 : K, col: transA ? M : 1, batch: a.rank > 2 && sizeOf(a.shape.slice(0, -2)) > 1 ? M * K : 0 };
  const B: Operand = { t: bIn, row: transB ? 1 : N, col: transB ? K : 1, batch: bIn.rank > 2 && sizeOf(bIn.shape.slice(0, -2)) > 1 ? K * N : 0 };
  const out = Tensor.empty([...batchShape, M, N], 'float32', 'matmul');
  const epilogue = epilogueFor(activation);
  if (N <= 4) launchVector(A, B, out, M, N, K, batch, options.bias, epilogue);
  else launchRows(A, B, out, M, N, K, batch, options.bias, epilogue);
  if (bIn !== b) bIn.dispose();
  return out;
}

function params(A: Operand, B: Operand, M: number, N: number, K: number, batch: number, hasBias: boolean, rowBlocks: number): ArrayBuffer {
  return packParams([
    ['u32', M], ['u32', N], ['u32', K], ['u32', batch],
    ['u32', A.row], ['u32', A.col], ['u32', A.batch], ['u32', hasBias ? 1 : 0],
    ['u32', B.row], ['u32', B.col], ['u32', B.batch], ['u32', rowBlocks],
  ]);
}

/** Workgroups for `blocks` (row block, batch) pairs, spilling from y to z past the per-dimension limit. */
function blockGrid(x: number, blocks: number): [number, number, number] {
  const maxPerDim = gpu().limits.maxComputeWorkgroupsPerDimension;
  const y = Math.min(blocks, maxPerDim);
  return [x, y, Math.ceil(blocks / y)];
}

function launchRows(A: Operand, B: Operand, out: Tensor, M: number, N: number, K: number, batch: number, bias: Tensor | undefined, epilogue: { expression: string; helpers: string }): void {
  const { lanes, rows, cols } = matmulTiling(M, N);
  // vec4 loads need every row of B (and every batch) to start at a multiple of 4 floats.
  const vec4 = B.col === 1 && B.row % 4 === 0 && B.batch % 4 === 0 && N % 4 === 0;
  const rowBlocks = Math.ceil(M / rows);
  dispatch({
    shader: 'matmul',
    defines: {
      LANES: lanes, ROWS: rows, COLS: cols, B_ELEMENT: vec4 ? 'vec4f' : 'f32', LOAD_B: vec4 ? MATMUL_LOADS.vec4B : MATMUL_LOADS.stridedB,
      EPILOGUE: epilogue.expression, HELPERS: epilogue.helpers,
    },
    buffers: [A.t.buffer, B.t.buffer, bias?.buffer ?? placeholderBuffer(), out.buffer],
    params: params(A, B, M, N, K, batch, bias !== undefined, rowBlocks),
    workgroups: blockGrid(Math.ceil(N / (4 * cols * lanes)), rowBlocks * batch),
  });
}

function launchVector(A: Operand, B: Operand, out: Tensor, M: number, N: number, K: number, batch: number, bias: Tensor | undefined, epilogue: { expression: string; helpers: string }): void {
  const { lanes } = matmulTiling(M, N);
  const vec4 = A.col === 1 && A.row % 4 === 0 && A.batch % 4 === 0 && K % 4 === 0;
  const rowBlocks = Math.ceil(M / lanes);
  dispatch({
    shader: 'matmul-vector',
    defines: {
      LANES: lanes, N_COLS: N, A_ELEMENT: vec4 ? 'vec4f' : 'f32', LOAD_A: vec4 ? MATMUL_LOADS.vec4A : MATMUL_LOADS.stridedA,
      EPILOGUE: epilogue.expression, HELPERS: epilogue.helpers,
    },
    buffers: [A.t.buffer, B.t.buffer, bias?.buffer ?? placeholderBuffer(), out.buffer],
    params: params(A, B, M, N, K, batch, bias !== undefined, rowBlocks),
    workgroups: blockGrid(1, rowBlocks * batch),
  });
}

/**
 * Multiplies matrices with NumPy's matmul semantics. A 1D operand is promoted to a
 * row or column, and the added dim is removed again. Leading batch dims broadcast.
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  assertFloat('matmul', a, b);
  if (a.rank === 0 || b.rank === 0) {
    throw new Error(`matmul: both operands need at least 1 dim, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
  if (a.rank === 1 || b.rank === 1) {
    const a2 = a.rank === 1 ? reshape(a, [1, a.shape[0]]) : a;
    const b2 = b.rank === 1 ? reshape(b, [b.shape[0], 1]) : b;
    const out = matmul(a2, b2, options);
    const shape = out.shape.filter((_, i) => !(a.rank === 1 && i === out.rank - 2) && !(b.rank === 1 && i === out.rank - 1));
    return reshape(out, shape);
  }

  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  const K = transA ? a.shape[a.rank - 2] : a.shape[a.rank - 1];
  const Kb = transB ? b.shape[b.rank - 1] : b.shape[b.rank - 2];
  const N = transB ? b.shape[b.rank - 2] : b.shape[b.rank - 1];
  if (K !== Kb) {
    throw new Error(`matmul: shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} do not match (${K} != ${Kb})`);
  }
  if (options.bias !== undefined && !sameShape(options.bias.shape, [N])) {
    throw new Error(`matmul: bias shape ${formatShape(options.bias.shape)} does not match output columns [${N}]`);
  }
  const activation = options.activation ?? 'none';
  if (!ACTIVATIONS.includes(activation)) {
    throw new Error(`matmul: activation must be one of ${ACTIVATIONS.join(', ')}, got ${JSON.stringify(activation)}`);
  }

  // [..., M, K] @ [K, N]: fold the batch dims of `a` into M (storage is contiguous).
  if (a.rank > 2 && b.rank === 2 && !transA) {
    const rows = sizeOf(a.shape.slice(0, -1));
    const out = matmul(reshape(a, [rows, a.shape[a.rank - 1]]), b, options);
    return reshape(out, [...a.shape.slice(0, -1), N]);
  }

  // GELU has no cheap inverse, so with gradients it runs as its own op on the saved product.
  const inputs = options.bias ? [a, b, options.bias] : [a, b];
  const needsGrad = isGradEnabled() && inputs.some((t) => t.requiresGrad);
  if (needsGrad && (activation === 'gelu' || activation === 'geluTanh')) {
    const z = matmul(a, b, { ...options, activation: 'none' });
    return gelu(z, { approximate: activation === 'geluTanh' ? 'tanh' : 'none' });
  }

  const batchShape = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  const aIn = alignBatch(a, batchShape);
  const bIn = alignBatch(b, batchShape);
  const out = runMatmul(aIn, bIn, batchShape, options, activation);
  if (aIn !== a) aIn.dispose();
  if (bIn !== b) bIn.dispose();

  return record(out, 'matmul', inputs, (dy) => {
    const dz = activation === 'relu' ? dy.mul(compareGreaterZero(out)) : dy;
    return [
      a.requiresGrad ? sumToShape(gradA(dz, b, transA, transB), a.shape) : null,
      b.requiresGrad ? sumToShape(gradB(dz, a, transA, transB), b.shape) : null,
      options.bias?.requiresGrad ? sumToShape(dz, [N]) : null,
    ];
  });
}

/** 1 where the fused ReLU passed its input, 0 where it clipped (out = relu(z) > 0 exactly when z > 0). */
function compareGreaterZero(out: Tensor): Tensor {
  return compare('>', out, filled([], 0, 'float32', 'matmul backward'));
}

// For C = op(A) op(B): dA = dC op(B)^T, or its transpose when A is stored transposed.
function gradA(dC: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  return transA ? matmul(b, dC, { transA: transB, transB: true }) : matmul(dC, b, { transB: !transB });
}

// dB = op(A)^T dC, or its transpose when B is stored transposed.
function gradB(dC: Tensor, a: Tensor, transA: boolean, transB: boolean): Tensor {
  return transB ? matmul(dC, a, { transA: true, transB: transA }) : matmul(a, dC, { transA: !transA });
}

/** Materializes partial batch broadcasts (e.g. [2,1] against [1,3]) that strides alone cannot express. */
function alignBatch(t: Tensor, batchShape: number[]): Tensor {
  const own = t.shape.slice(0, -2);
  const ownSize = sizeOf(own);
  if (ownSize === 1 || ownSize === sizeOf(batchShape)) return t;
  return expand(t, [...batchShape, ...t.shape.slice(-2)]);
}

/** float64 reference of op(a) @ op(b) + bias for one [M, K] x [K, N] product stored row-major. */
export function matmulReference(
  a: ArrayLike<number>, b: ArrayLike<number>, M: number, K: number, N: number,
  options: { transA?: boolean; transB?: boolean; bias?: ArrayLike<number> } = {},
): Float64Array {
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = options.bias ? options.bias[j] : 0;
      for (let k = 0; k < K; k++) {
        const av = options.transA ? a[k * M + i] : a[i * K + k];
        const bv = options.transB ? b[j * K + k] : b[k * N + j];
        s += av * bv;
      }
      c[i * N + j] = s;
    }
  }
  return c;
}
