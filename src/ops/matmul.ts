// Matrix multiplication: 2D, batched with broadcast batch dims, either operand
// transposed without a copy, and an optional fused bias + ReLU epilogue for Linear.

import { record } from '../autograd/engine.js';
import { dispatch, packParams, placeholderBuffer } from '../gpu/runtime.js';
import { broadcastShapes, formatShape, sameShape, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { compare } from './binary.js';
import { assertFloat, filled } from './kernels.js';
import { sumToShape } from './reduce.js';
import { expand, reshape } from './shape-ops.js';

/** Output tile of one workgroup in shaders/matmul.wgsl: 8x8 threads, 4x4 outputs each. */
const TILE = 32;

export type Epilogue = 'none' | 'relu';

export interface MatmulOptions {
  /** Read `a` as its last two dims swapped. */
  transA?: boolean;
  /** Read `b` as its last two dims swapped. */
  transB?: boolean;
  /** Added to every row of the result; shape [N]. */
  bias?: Tensor;
  /** Activation applied after the bias, in the same kernel. */
  activation?: Epilogue;
}

const EPILOGUES: Record<Epilogue, string> = { none: 'v', relu: 'max(v, 0.0)' };

/** Runs the kernel on operands whose batch dims are already equal or 1. No autograd. */
function runMatmul(a: Tensor, b: Tensor, batchShape: number[], options: MatmulOptions): Tensor {
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  const [aRows, aCols] = a.shape.slice(-2);
  const [bRows, bCols] = b.shape.slice(-2);
  const M = transA ? aCols : aRows;
  const K = transA ? aRows : aCols;
  const N = transB ? bRows : bCols;
  const batch = sizeOf(batchShape);
  const out = Tensor.empty([...batchShape, M, N], 'float32', 'matmul');
  if (sizeOf(out.shape) === 0) return out;
  if (K === 0) {
    out.dispose();
    return filled([...batchShape, M, N], 0, 'float32', 'matmul');
  }

  const aBatch = a.rank > 2 && sizeOf(a.shape.slice(0, -2)) > 1 ? M * K : 0;
  const bBatch = b.rank > 2 && sizeOf(b.shape.slice(0, -2)) > 1 ? K * N : 0;
  const bias = options.bias;
  const params = packParams([
    ['u32', M], ['u32', N], ['u32', K], ['u32', batch],
    ['u32', transA ? 1 : K], ['u32', transA ? M : 1], ['u32', aBatch], ['u32', bias ? 1 : 0],
    ['u32', transB ? 1 : N], ['u32', transB ? K : 1], ['u32', bBatch],
  ]);
  dispatch({
    shader: 'matmul',
    defines: { EPILOGUE: EPILOGUES[options.activation ?? 'none'], HELPERS: '' },
    buffers: [a.buffer, b.buffer, bias?.buffer ?? placeholderBuffer(), out.buffer],
    params,
    workgroups: [Math.ceil(N / TILE), Math.ceil(M / TILE), batch],
  });
  return out;
}

/**
 * Matrix product with NumPy's matmul semantics: 1D operands are promoted to a row
 * or column and the added dim is removed again; leading batch dims broadcast.
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

  // [..., M, K] @ [K, N]: fold the batch dims of `a` into M (storage is contiguous).
  if (a.rank > 2 && b.rank === 2 && !transA) {
    const rows = sizeOf(a.shape.slice(0, -1));
    const out = matmul(reshape(a, [rows, a.shape[a.rank - 1]]), b, options);
    return reshape(out, [...a.shape.slice(0, -1), N]);
  }

  const batchShape = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  const aIn = alignBatch(a, batchShape);
  const bIn = alignBatch(b, batchShape);
  const out = runMatmul(aIn, bIn, batchShape, options);
  if (aIn !== a) aIn.dispose();
  if (bIn !== b) bIn.dispose();

  const inputs = options.bias ? [a, b, options.bias] : [a, b];
  return record(out, 'matmul', inputs, (dy) => {
    const dz = options.activation === 'relu' ? dy.mul(compareGreaterZero(out)) : dy;
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
