// The Tensor: a shape, a dtype and a GPU storage, plus the autograd fields.
//
// Storage is always row-major and contiguous. Views that can alias (reshape) share
// the storage; every other view op (transpose, permute, slice, expand) copies.
// Methods forward to the op functions in src/ops so that each op, its gradient and
// its CPU reference live together in one file.

import { checkAnomalies, hasUnreadAnomalyChecks, watchOutput } from '../autograd/anomaly.js';
import { backward as runBackward, type BackwardOptions, type GradNode } from '../autograd/engine.js';
import { isAnomalyDetectionEnabled } from '../autograd/grad-mode.js';
import { deviceGoneReason } from '../gpu/device.js';
import { readBuffer } from '../gpu/runtime.js';
import * as ops from '../ops/index.js';
import { track, untrackDisposed } from './scope.js';
import { formatShape, sizeOf, type Shape } from './shape.js';
import { Storage } from './storage.js';

export type DType = 'float32' | 'int32';

let nextId = 1;

export class Tensor {
  readonly isTensor = true;
  readonly id = nextId++;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly size: number;
  requiresGrad = false;
  grad: Tensor | null = null;
  gradFn: GradNode | null = null;
  /** Name of the op that produced this tensor; used in error messages. */
  readonly op: string;
  private storageRef: Storage | null;

  constructor(storage: Storage, shape: Shape, dtype: DType, op: string) {
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
    this.dtype = dtype;
    this.op = op;
    this.storageRef = storage;
    // A fresh storage means a new op output; an alias (reshape, detach) is not scanned again.
    if (storage.refCount === 0 && dtype === 'float32' && isAnomalyDetectionEnabled()) watchOutput(this, storage.buffer);
    storage.retain();
    track(this);
  }

  /** A tensor with fresh, uninitialized storage. */
  static empty(shape: Shape, dtype: DType, op: string): Tensor {
    const bytes = Math.max(sizeOf(shape), 1) * 4;
    return new Tensor(new Storage(bytes, `${op} ${formatShape(shape)}`), shape, dtype, op);
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.storageRef === null;
  }

  get storage(): Storage {
    if (this.storageRef === null) {
      throw new Error(`tensor ${formatShape(this.shape)} (from ${this.op}) was disposed and can no longer be used`);
    }
    const goneReason = deviceGoneReason(this.storageRef.device);
    if (goneReason !== null) {
      throw new Error(
        `tensor ${formatShape(this.shape)} (from ${this.op}) is unusable because its GPU device ${goneReason}; ` +
          'call init() to get a new device, then create the tensor again (from CPU data or a checkpoint)',
      );
    }
    return this.storageRef;
  }

  get buffer(): GPUBuffer {
    return this.storage.buffer;
  }

  /** Releases the GPU storage (shared storage is freed when its last tensor goes). Safe to call twice. */
  dispose(): void {
    if (this.storageRef === null) return;
    this.storageRef.release();
    this.storageRef = null;
    this.gradFn = null;
    untrackDisposed(this);
  }

  // ---- reading ----

  /** Reads the values; an int32 tensor's values are converted to float. */
  async data(): Promise<Float32Array> {
    const bytes = await readWithAnomalyCheck(this.buffer, this.size * 4, `data() of ${formatShape(this.shape)} from ${this.op}`);
    if (this.dtype === 'int32') return Float32Array.from(new Int32Array(bytes));
    return new Float32Array(bytes);
  }

  async dataInt32(): Promise<Int32Array> {
    if (this.dtype !== 'int32') throw new Error(`dataInt32: tensor is ${this.dtype}; use data()`);
    return new Int32Array(await readWithAnomalyCheck(this.buffer, this.size * 4, `dataInt32() from ${this.op}`));
  }

  /** Reads the values as nested arrays of the tensor's shape. */
  async toArray(): Promise<unknown> {
    const values = Array.from(this.dtype === 'int32' ? await this.dataInt32() : await this.data());
    return nest(values, this.shape);
  }

  /** Reads the only element of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item: tensor has ${this.size} elements ${formatShape(this.shape)}; item() needs exactly 1`);
    return (await this.data())[0];
  }

  // ---- autograd ----

  backward(grad?: Tensor, options?: BackwardOptions): void {
    runBackward(this, grad, options);
  }

  /** Sets requiresGrad in place and returns this tensor. Only float32 tensors can require grad. */
  requiresGrad_(flag = true): this {
    if (flag && this.dtype !== 'float32') throw new Error(`requiresGrad_: an ${this.dtype} tensor cannot require grad`);
    if (this.gradFn !== null && !flag) throw new Error('requiresGrad_: cannot turn off requiresGrad of a non-leaf tensor; use detach()');
    this.requiresGrad = flag;
    return this;
  }

  /** Returns a tensor that shares this one's storage but is cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.storage, this.shape, this.dtype, 'detach');
  }

  zeroGrad(): void {
    this.grad?.dispose();
    this.grad = null;
  }

  toString(): string {
    return `Tensor(${formatShape(this.shape)}, ${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }

  // ---- ops as methods; see src/ops for the definitions ----

  add(other: Tensor | number): Tensor { return ops.add(this, other); }
  sub(other: Tensor | number): Tensor { return ops.sub(this, other); }
  mul(other: Tensor | number): Tensor { return ops.mul(this, other); }
  div(other: Tensor | number): Tensor { return ops.div(this, other); }
  neg(): Tensor { return ops.neg(this); }
  exp(): Tensor { return ops.exp(this); }
  log(): Tensor { return ops.log(this); }
  sqrt(): Tensor { return ops.sqrt(this); }
  pow(exponent: number): Tensor { return ops.pow(this, exponent); }
  relu(): Tensor { return ops.relu(this); }
  gelu(options?: ops.GeluOptions): Tensor { return ops.gelu(this, options); }
  tanh(): Tensor { return ops.tanh(this); }
  sigmoid(): Tensor { return ops.sigmoid(this); }
  abs(): Tensor { return ops.abs(this); }
  clamp(min: number, max: number): Tensor { return ops.clamp(this, min, max); }
  matmul(other: Tensor): Tensor { return ops.matmul(this, other); }
  sum(dims?: number | number[], options?: ops.ReduceOptions): Tensor { return ops.sum(this, dims, options); }
  mean(dims?: number | number[], options?: ops.ReduceOptions): Tensor { return ops.mean(this, dims, options); }
  max(dims?: number | number[], options?: ops.ReduceOptions): Tensor { return ops.max(this, dims, options); }
  var(dims?: number | number[], options?: ops.VarOptions): Tensor { return ops.variance(this, dims, options); }
  reshape(shape: number[]): Tensor { return ops.reshape(this, shape); }
  flatten(startDim = 0, endDim = -1): Tensor { return ops.flatten(this, startDim, endDim); }
  transpose(dim0 = -2, dim1 = -1): Tensor { return ops.transpose(this, dim0, dim1); }
  permute(dims: number[]): Tensor { return ops.permute(this, dims); }
  slice(dim: number, start: number, end?: number): Tensor { return ops.slice(this, dim, start, end); }
  expand(shape: number[]): Tensor { return ops.expand(this, shape); }
  softmax(dim = -1): Tensor { return ops.softmax(this, dim); }
  logSoftmax(dim = -1): Tensor { return ops.logSoftmax(this, dim); }
  clone(): Tensor { return ops.clone(this); }
  onesLike(): Tensor { return ops.onesLike(this); }
  zerosLike(): Tensor { return ops.zerosLike(this); }
}

/** Reads a buffer and, when anomaly scans are pending, the anomaly flags with it (see src/autograd/anomaly.ts). */
async function readWithAnomalyCheck(buffer: GPUBuffer, bytes: number, label: string): Promise<ArrayBuffer> {
  const read = readBuffer(buffer, bytes, label);
  if (!hasUnreadAnomalyChecks()) return read;
  const [values] = await Promise.all([read, checkAnomalies()]);
  return values;
}

function nest(values: number[], shape: Shape): unknown {
  if (shape.length === 0) return values[0];
  const [first, ...rest] = shape;
  const step = sizeOf(rest);
  return Array.from({ length: first }, (_, i) => nest(values.slice(i * step, (i + 1) * step), rest));
}
