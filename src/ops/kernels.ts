// Low-level launchers shared by the op families: they allocate the output, pack
// the uniform block and record one dispatch. No autograd here.

import { ignoreOutput } from '../autograd/anomaly.js';
import { dispatch, grid, packParams, writeBuffer } from '../gpu/runtime.js';
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
      throw new Error(`${op}: expected a float32 tensor, got ${t.dtype} ${formatShape(t.shape)}`);
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

/** Records the strided copy kernel (see shaders/copy.wgsl). */
export function stridedCopy(
  src: Tensor,
  dst: Tensor,
  shape: Shape,
  srcStrides: number[],
  dstStrides: number[],
  srcBase = 0,
  dstBase = 0,
): void {
  const n = sizeOf(shape);
  if (n === 0) return;
  checkRank('copy', shape);
  const params = packParams([
    ...u32s([n, shape.length, srcBase, dstBase]),
    ...u32s(packDims(shape, 1)),
    ...u32s(packDims(srcStrides, 0)),
    ...u32s(packDims(dstStrides, 0)),
  ]);
  dispatch({ shader: 'copy', buffers: [src.buffer, dst.buffer], params, workgroups: grid(n, 256) });
}

/** Returns a new contiguous tensor with `src` read through `srcStrides` (e.g. a permutation). */
export function gather(src: Tensor, shape: Shape, srcStrides: number[], op: string, srcBase = 0): Tensor {
  const out = Tensor.empty(shape, src.dtype, op);
  stridedCopy(src, out, shape, srcStrides, stridesOf(shape), srcBase, 0);
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
  dispatch({ shader: 'fill', buffers: [out.buffer], params, workgroups: grid(n, 256) });
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
    workgroups: grid(x.size, 256),
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
    workgroups: grid(x.size, 256),
  });
  return out;
}
