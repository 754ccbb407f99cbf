// Matrix multiplication: 2D, batched with broadcast batch dims, either operand
// transposed without a copy, and an optional fused bias + activation epilogue.
//
// Two kernels: shaders/matmul.wgsl (row-broadcast, register-blocked) for N > 4
// and shaders/matmul-vector.wgsl (one thread per output row) for N <= 4. The tile
// configuration comes from the adapter, tuned at first use (see matmul-tuning.ts).
// Products are f32 by default, or f16 with f32 sums on request (MatmulOptions.precision).

import { record } from '../autograd/engine.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import { gpu } from '../gpu/device.js';
import { dispatch, packParams, placeholderBuffer, type DispatchSpec } from '../gpu/runtime.js';
import { broadcastShapes, formatShape, sameShape, sizeOf, stridesOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { gelu, UNARY_OPS } from './elementwise.js';
import { assertFloat, filled, gather, runUnaryBackward } from './kernels.js';
import { sumToShape } from './reduce.js';
import { startMatmulTuning } from './matmul-autotune.js';
import { matmulTiling, type MatmulTiling } from './matmul-tuning.js';
import { expand, reshape } from './shape-ops.js';

export { matmulTiling, type MatmulTiling } from './matmul-tuning.js';

export type Epilogue = 'none' | 'relu' | 'gelu' | 'geluTanh';

export type MatmulPrecision = 'f32' | 'f16';

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
  /**
   * 'f16' rounds A and B to f16 and each product to f16, and sums in f32; it needs the
   * adapter feature 'shader-f16' (gpu().hasF16). Inputs and output stay f32, and
   * values or products beyond the f16 range (65504) become infinite. The gradient
   * matmuls use the same precision. Default 'f32'.
   */
  precision?: MatmulPrecision;
}

const ACTIVATIONS: readonly Epilogue[] = ['none', 'relu', 'gelu', 'geluTanh'];

/** Defines of both matmul shaders that select f32 or f16 products. */
export const MATMUL_MATH: Record<MatmulPrecision, { ENABLE: string; MATH_SCALAR: string; MATH_VEC: string; DOT: string }> = {
  f32: { ENABLE: '', MATH_SCALAR: 'f32', MATH_VEC: 'vec4f', DOT: 'dot(av, bv)' },
  f16: { ENABLE: 'enable f16;', MATH_SCALAR: 'f16', MATH_VEC: 'vec4h', DOT: 'dot(vec4f(vec4h(av) * vec4h(bv)), vec4f(1.0))' },
};

/** WGSL expression of v for an activation; the GELU ones come from the elementwise table so they match gelu(). */
function epilogueFor(activation: Epilogue): { expression: string; helpers: string } {
  // Looked up at call time: elementwise.ts may not be initialized yet when this module loads.
  if (activation === 'relu') return { expression: UNARY_OPS.relu.forward, helpers: UNARY_OPS.relu.helpers };
  if (activation === 'gelu') return { expression: UNARY_OPS.geluErf.forward, helpers: UNARY_OPS.geluErf.helpers };
  if (activation === 'geluTanh') return { expression: UNARY_OPS.geluTanh.forward, helpers: UNARY_OPS.geluTanh.helpers };
  return { expression: 'v', helpers: '' };
}

/** Bodies of loadB in matmul.wgsl and of loadA and loadB in matmul-vector.wgsl: vec4 loads where aligned, strided otherwise. */
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
  vec4BColumn: 'return b[(base + col * p.bCol + k0) / 4u];',
  stridedBColumn: `var r = vec4f(0.0);
  for (var e = 0u; e < 4u; e++) { if (k0 + e < p.K) { r[e] = b[base + (k0 + e) * p.bRow + col * p.bCol]; } }
  return r;`,
};

/** Below this many rows of C, a transposed B is read through strides instead of copied first. */
const MIN_ROWS_TO_COPY_B = 16;

/** One operand in a kernel's view: its buffer and strides in floats (batch 0 when shared by all batches). */
export interface Operand {
  buffer: GPUBuffer;
  row: number;
  col: number;
  batch: number;
}

/** Everything one matmul kernel launch needs besides the tiling. */
export interface MatmulLaunch {
  A: Operand;
  B: Operand;
  out: GPUBuffer;
  M: number;
  N: number;
  K: number;
  batch: number;
  bias: GPUBuffer | undefined;
  activation: Epilogue;
  precision: MatmulPrecision;
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

  const A: Operand = { buffer: a.buffer, row: transA ? 1 : K, col: transA ? M : 1, batch: a.rank > 2 && sizeOf(a.shape.slice(0, -2)) > 1 ? M * K : 0 };
  const B: Operand = { buffer: bIn.buffer, row: transB ? 1 : N, col: transB ? K : 1, batch: bIn.rank > 2 && sizeOf(bIn.shape.slice(0, -2)) > 1 ? K * N : 0 };
  const out = Tensor.empty([...batchShape, M, N], 'float32', 'matmul');
  const launch: MatmulLaunch = {
    A, B, out: out.buffer, M, N, K, batch, bias: options.bias?.buffer, activation, precision: options.precision ?? 'f32',
  };
  startMatmulTuning();
  dispatch(N <= 4 ? vectorKernelDispatch(launch) : rowKernelDispatch(launch, matmulTiling(M, N)));
  if (bIn !== b) bIn.dispose();
  return out;
}

function params(launch: MatmulLaunch, rowBlocks: number): ArrayBuffer {
  const { A, B } = launch;
  return packParams([
    ['u32', launch.M], ['u32', launch.N], ['u32', launch.K], ['u32', launch.batch],
    ['u32', A.row], ['u32', A.col], ['u32', A.batch], ['u32', launch.bias !== undefined ? 1 : 0],
    ['u32', B.row], ['u32', B.col], ['u32', B.batch], ['u32', rowBlocks],
  ]);
}

/** Workgroups for `blocks` (row block, batch) pairs, spilling from y to z past the per-dimension limit. */
function blockGrid(x: number, blocks: number): [number, number, number] {
  const maxPerDim = gpu().limits.maxComputeWorkgroupsPerDimension;
  const y = Math.min(blocks, maxPerDim);
  return [x, y, Math.ceil(blocks / y)];
}

/** Dispatch of shaders/matmul.wgsl for N > 4 with the given tiling; also used by the autotuner. */
export function rowKernelDispatch(launch: MatmulLaunch, tiling: MatmulTiling): DispatchSpec {
  const { A, B, M, N } = launch;
  const { lanes, rows, cols } = tiling;
  const epilogue = epilogueFor(launch.activation);
  // vec4 loads need every row of B (and every batch) to start at a multiple of 4 floats.
  const vec4 = B.col === 1 && B.row % 4 === 0 && B.batch % 4 === 0 && N % 4 === 0;
  const rowBlocks = Math.ceil(M / rows);
  return {
    shader: 'matmul',
    defines: {
      LANES: lanes, ROWS: rows, COLS: cols, B_ELEMENT: vec4 ? 'vec4f' : 'f32', LOAD_B: vec4 ? MATMUL_LOADS.vec4B : MATMUL_LOADS.stridedB,
      EPILOGUE: epilogue.expression, HELPERS: epilogue.helpers, ...MATMUL_MATH[launch.precision],
    },
    buffers: [A.buffer, B.buffer, launch.bias ?? placeholderBuffer(), launch.out],
    params: params(launch, rowBlocks),
    workgroups: blockGrid(Math.ceil(N / (4 * cols * lanes)), rowBlocks * launch.batch),
  };
}

/** Dispatch of shaders/matmul-vector.wgsl for N <= 4. */
export function vectorKernelDispatch(launch: MatmulLaunch): DispatchSpec {
  const { A, B, M, N, K } = launch;
  const { lanes } = matmulTiling(M, N);
  const epilogue = epilogueFor(launch.activation);
  const vec4 = A.col === 1 && A.row % 4 === 0 && A.batch % 4 === 0 && K % 4 === 0;
  // Each B column as vec4: contiguous along k, and every column and batch starts 4-aligned.
  const vec4B = B.row === 1 && (N === 1 || B.col % 4 === 0) && B.batch % 4 === 0 && K % 4 === 0;
  const rowBlocks = Math.ceil(M / lanes);
  return {
    shader: 'matmul-vector',
    defines: {
      LANES: lanes, N_COLS: N, A_ELEMENT: vec4 ? 'vec4f' : 'f32', LOAD_A: vec4 ? MATMUL_LOADS.vec4A : MATMUL_LOADS.stridedA,
      B_ELEMENT: vec4B ? 'vec4f' : 'f32', LOAD_B: vec4B ? MATMUL_LOADS.vec4BColumn : MATMUL_LOADS.stridedBColumn,
      EPILOGUE: epilogue.expression, HELPERS: epilogue.helpers, ...MATMUL_MATH[launch.precision],
    },
    buffers: [A.buffer, B.buffer, launch.bias ?? placeholderBuffer(), launch.out],
    params: params(launch, rowBlocks),
    workgroups: blockGrid(1, rowBlocks * launch.batch),
  };
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
  const precision = options.precision ?? 'f32';
  if (precision !== 'f32' && precision !== 'f16') {
    throw new Error(`matmul: precision must be 'f32' or 'f16', got ${JSON.stringify(precision)}`);
  }
  if (precision === 'f16' && !gpu().hasF16) {
    throw new Error("matmul: precision 'f16' needs the adapter feature 'shader-f16', which this device lacks; use precision 'f32'");
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
    const dz = activation === 'relu' ? reluBackward(out, dy) : dy;
    return [
      a.requiresGrad ? sumToShape(gradA(dz, b, transA, transB, precision), a.shape) : null,
      b.requiresGrad ? sumToShape(gradB(dz, a, transA, transB, precision), b.shape) : null,
      options.bias?.requiresGrad ? sumToShape(dz, [N]) : null,
    ];
  });
}

/**
 * Returns dy where the fused ReLU passed its input and 0 where it clipped. ReLU's own
 * gradient kernel reads the output in place of the input, which is right because
 * out = relu(z) is > 0 exactly when z > 0, and NaN exactly when z is NaN.
 */
function reluBackward(out: Tensor, dy: Tensor): Tensor {
  return runUnaryBackward(out, out, dy, UNARY_OPS.relu, 0, 0, 'relu');
}

// For C = op(A) op(B): dA = dC op(B)^T, or its transpose when A is stored transposed.
function gradA(dC: Tensor, b: Tensor, transA: boolean, transB: boolean, precision: MatmulPrecision): Tensor {
  return transA ? matmul(b, dC, { transA: transB, transB: true, precision }) : matmul(dC, b, { transB: !transB, precision });
}

// dB = op(A)^T dC, or its transpose when B is stored transposed.
function gradB(dC: Tensor, a: Tensor, transA: boolean, transB: boolean, precision: MatmulPrecision): Tensor {
  return transB ? matmul(dC, a, { transA: true, transB: transA, precision }) : matmul(a, dC, { transA: !transA, precision });
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
