// Low-level launchers shared by the op families: they allocate the output, pack
// the uniform block and record one dispatch. No autograd here.

import { ignoreOutput } from '../autograd/anomaly.js';
import { gpu } from '../gpu/device.js';
import { clearBuffer, dispatch, grid, packParams, writeBuffer } from '../gpu/runtime.js';
import { checkRank, formatShape, MAX_RANK, sizeOf, stridesOf, type Shape } from '../tensor/shape.js';
import { Tensor, type DType } from '../tensor/tensor.js';

export function assertFloat(op: string, ...tensors: Tensor[]): void {
  for (const t of tensors) {
    // Plain JavaScript callers can pass arrays or numbers where a tensor belongs.
    if ((t as { isTensor?: unknown } | null)?.isTensor !== true) {
      const got = Array.isArray(t) ? `an array of length ${(t as unknown[]).length}` : typeof t;
      throw new Error(`${op}: expected a float32 tensor, got ${got}; wrap values with tensor()`);
    }
    if (t.dtype !== 'float32') {
      throw new Error(
        `${op}: expected a float32 tensor, got ${t.dtype} ${formatShape(t.shape)}; int32 tensors are ids, targets and masks ` +
          '(embedding, crossEntropy, where), so create values for math as float32, the default of tensor()',
      );
    }
  }
}

/** Packs up to 8 dims as two vec4<u32>, padding with 1 for shapes and 0 for strides. */
export function packDims(values: readonly number[], pad: number): number[] {
  const out = new Array<number>(MAX_RANK).fill(pad);
  values.forEach((v, i) => (out[i] = v));
  return out;
}

function u32s(values: number[]): ['u32', number][] {
  return values.map((v) => ['u32', v]);
}

/** Last-dim length from which a copy runs on the 2D grid of shaders/copy-grid.wgsl. */
const MIN_GRID_INNER = 64;
/** Rows from which a copy with a shorter last dim runs one thread per row (shaders/copy-rows.wgsl). */
const MIN_ROW_THREADS = 128;

/** Records a strided copy with the cheapest of the three copy kernels for its shape. */
export function stridedCopy(
  src: Tensor,
  dst: Tensor,
  shape: Shape,
  srcStrides: number[],
  dstStrides: number[],
  srcBase = 0,
  dstBase = 0,
  label = 'copy',
): void {
  const n = sizeOf(shape);
  if (n === 0) return;
  checkRank('copy', shape);
  const dims = u32s([...packDims(shape, 1), ...packDims(srcStrides, 0), ...packDims(dstStrides, 0)]);
  const rank = shape.length;
  const inner = shape[rank - 1];
  const rows = n / Math.max(inner, 1);
  // On llvmpipe a copy's cost is its integer divisions and its workgroup count. Long
  // rows get a 2D grid without division and short rows one thread per row. The rest
  // (rank 1, few rows, grids past the limits) gets the per-element kernel.
  if (rank >= 2 && inner >= MIN_GRID_INNER) {
    const groups: [number, number, number] = [Math.ceil(inner / 64), shape[rank - 2], sizeOf(shape.slice(0, -2))];
    if (groups.every((g) => g <= gpu().limits.maxComputeWorkgroupsPerDimension)) {
      const params = packParams([...u32s([rank, srcBase, dstBase, 0]), ...dims]);
      dispatch({ shader: 'copy-grid', buffers: [src.buffer, dst.buffer], params, workgroups: groups, label });
      return;
    }
  }
  if (rank >= 2 && rows >= MIN_ROW_THREADS) {
    const params = packParams([...u32s([rows, rank, srcBase, dstBase]), ...dims]);
    dispatch({ shader: 'copy-rows', buffers: [src.buffer, dst.buffer], params, workgroups: grid(rows, 64), label });
    return;
  }
  const params = packParams([...u32s([n, rank, srcBase, dstBase]), ...dims]);
  dispatch({ shader: 'copy', buffers: [src.buffer, dst.buffer], params, workgroups: grid(n, 256), label });
}

/** Returns a new contiguous tensor with `src` read through `srcStrides` (e.g. a permutation). */
export function gather(src: Tensor, shape: Shape, srcStrides: number[], op: string, srcBase = 0): Tensor {
  const out = Tensor.empty(shape, src.dtype, op);
  stridedCopy(src, out, shape, srcStrides, stridesOf(shape), srcBase, 0, op);
  return out;
}

/** Returns a tensor of `shape` filled with one value. Anomaly detection skips it, because a non-finite value here is deliberate. */
export function filled(shape: Shape, value: number, dtype: DType, op: string): Tensor {
  const out = Tensor.empty(shape, dtype, op);
  const n = sizeOf(shape);
  if (n === 0) return out;
  const bits = new DataView(new ArrayBuffer(4));
  if (dtype === 'int32') bits.setInt32(0, value, true);
  else bits.setFloat32(0, value, true);
  const params = packParams([
    ['u32', n],
    ['u32', bits.getUint32(0, true)],
  ]);
  // Zero, the common case, is a buffer clear, which the adapter does as a memset.
  if (bits.getUint32(0, true) === 0) clearBuffer(out.buffer, 4 * n);
  else dispatch({ shader: 'fill', buffers: [out.buffer], params, workgroups: grid(Math.ceil(n / 4), 256) });
  ignoreOutput(out);
  return out;
}

/** Uploads values from the CPU into a new tensor. Anomaly detection skips it, as `filled` does. */
export function upload(values: Float32Array | Int32Array, shape: Shape, dtype: DType, op: string): Tensor {
  const out = Tensor.empty(shape, dtype, op);
  if (values.length > 0) writeBuffer(out.buffer, values);
  ignoreOutput(out);
  return out;
}

export interface UnaryKernel {
  /** WGSL expression of v (the input) and scalars a, b. */
  forward: string;
  /** WGSL expression of v, out (forward output), dy and scalars a, b. */
  backward: string;
  /** WGSL helper functions the expressions call. */
  helpers?: string;
}

export function runUnary(x: Tensor, kernel: UnaryKernel, a: number, b: number, op: string): Tensor {
  const out = Tensor.empty(x.shape, 'float32', op);
  if (x.size === 0) return out;
  dispatch({
    shader: 'unary',
    defines: { EXPR: kernel.forward, HELPERS: kernel.helpers ?? '' },
    buffers: [x.buffer, out.buffer],
    params: packParams([['u32', x.size], ['f32', a], ['f32', b]]),
    workgroups: grid(Math.ceil(x.size / 4), 256),
    label: op,
  });
  return out;
}

export function runUnaryBackward(x: Tensor, y: Tensor, dy: Tensor, kernel: UnaryKernel, a: number, b: number, op: string): Tensor {
  const out = Tensor.empty(x.shape, 'float32', `${op} backward`);
  if (x.size === 0) return out;
  dispatch({
    shader: 'unary-backward',
    defines: { EXPR: kernel.backward, HELPERS: kernel.helpers ?? '' },
    buffers: [x.buffer, y.buffer, dy.buffer, out.buffer],
    params: packParams([['u32', x.size], ['f32', a], ['f32', b]]),
    workgroups: grid(Math.ceil(x.size / 4), 256),
    label: `${op} backward`,
  });
  return out;
}
