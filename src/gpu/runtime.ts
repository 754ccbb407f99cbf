// Records kernel dispatches into one command encoder and submits them in batches.
//
// Dispatches go into a single open compute pass. The pass is submitted only when a
// result is read, when `flush()` is called, or when `maxDispatchesPerSubmit` is
// reached, so one training step costs one or a few queue submits.

import { BindingCache } from './binding-cache.js';
import { BufferPool } from './buffer-pool.js';
import { deviceGoneReason, deviceLostReason, gpu, onDeviceLost, type Gpu } from './device.js';
import { getPipeline, settleCompileChecks, type Defines } from './pipelines.js';
import type { ShaderName } from './shader-sources.js';

const MAP_READ_USAGE = 0x01 | 0x08; // MAP_READ | COPY_DST

interface DeviceState {
  gpu: Gpu;
  pool: BufferPool;
  bindings: BindingCache;
  encoder: GPUCommandEncoder | null;
  pass: GPUComputePassEncoder | null;
  dispatches: number;
  /** Dispatches recorded since the device was created. */
  totalDispatches: number;
  submits: number;
  /** Bound where a kernel's optional input is absent; never read. */
  placeholder: GPUBuffer;
  firstError: string | null;
}

let state: DeviceState | null = null;
const pendingReads = new Set<(reason: string) => void>();

/** After this many recorded dispatches the batch is submitted even without a read. */
export let maxDispatchesPerSubmit = 1024;

export function setMaxDispatchesPerSubmit(n: number): void {
  maxDispatchesPerSubmit = n;
}

/** Runs before each submit; `automatic` is true when the dispatch limit forced the submit, possibly in the middle of an op. */
export type SubmitHook = (automatic: boolean) => void;
const beforeSubmitHooks: SubmitHook[] = [];

/** Registers a hook that may record more dispatches right before each submit (used by anomaly detection). */
export function onBeforeSubmit(hook: SubmitHook): void {
  beforeSubmitHooks.push(hook);
}

onDeviceLost((reason) => {
  for (const reject of pendingReads) reject(reason);
  pendingReads.clear();
});

/** Returns the recorder state of the current device, creating it on first use. */
export function runtime(): DeviceState {
  const current = gpu();
  if (state === null || state.gpu !== current) {
    state = {
      gpu: current,
      pool: new BufferPool(current.device),
      bindings: new BindingCache(current.device),
      encoder: null,
      pass: null,
      dispatches: 0,
      totalDispatches: 0,
      submits: 0,
      placeholder: current.device.createBuffer({ size: 16, usage: 0x80, label: 'placeholder' }),
      firstError: null,
    };
    const recorder = state;
    current.device.addEventListener('uncapturederror', (event) => {
      const message = (event as GPUUncapturedErrorEvent).error.message;
      recorder.firstError ??= message;
    });
  }
  return state;
}

function throwIfFailed(s: DeviceState): void {
  if (s.firstError !== null) {
    const message = s.firstError;
    s.firstError = null;
    throw new Error(`WebGPU error: ${message}`);
  }
}

/** Returns a 16-byte buffer to bind in place of an absent optional input; kernels never read it. */
export function placeholderBuffer(): GPUBuffer {
  return runtime().placeholder;
}

export function allocateBuffer(bytes: number, label: string): GPUBuffer {
  return runtime().pool.acquire(bytes, label);
}

/** Returns a buffer to the pool of `device`; a buffer of a lost or replaced device is dropped with it. */
export function releaseBuffer(buffer: GPUBuffer, device: GPUDevice): void {
  if (state === null || deviceLostReason() !== null || state.gpu.device !== device) return;
  state.pool.release(buffer);
}

export function writeBuffer(buffer: GPUBuffer, data: ArrayBufferView): void {
  const s = runtime();
  s.gpu.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
}

/** Sees every dispatch as it is recorded; the profiler uses it to give each dispatch its own timed pass. */
export interface DispatchObserver {
  /** Ends `current` (if any) and returns the pass for the dispatch named `name`. */
  passFor(encoder: GPUCommandEncoder, current: GPUComputePassEncoder | null, name: string): GPUComputePassEncoder;
  /** Records commands at the end of a command buffer, after its last pass has ended. */
  beforeFinish(encoder: GPUCommandEncoder): void;
}

let observer: DispatchObserver | null = null;

/** Installs (or with null removes) the dispatch observer; used by the profiler. */
export function setDispatchObserver(next: DispatchObserver | null): void {
  observer = next;
}

function openPass(s: DeviceState): GPUComputePassEncoder {
  if (s.pass === null) {
    s.encoder = s.gpu.device.createCommandEncoder();
    s.pass = s.encoder.beginComputePass();
  }
  return s.pass;
}

export interface DispatchSpec {
  shader: ShaderName;
  defines?: Defines;
  /** Storage buffers bound at bindings 0 .. n-1 of group 0, in shader order. */
  buffers: GPUBuffer[];
  /** Uniform block bound right after the storage buffers. */
  params?: ArrayBuffer;
  workgroups: [number, number?, number?];
  /** Name of the op for the profiler; the shader name when absent. */
  label?: string;
  /**
   * Skip the automatic submit at `maxDispatchesPerSubmit`, for a caller that records a
   * few extra dispatches right before a submit and must not recycle buffers in between.
   */
  noAutoSubmit?: boolean;
}

export function dispatch(spec: DispatchSpec): void {
  const s = runtime();
  const device = s.gpu.device;
  // A compile error explains every later "invalid pipeline" error, so it replaces them.
  const { pipeline, label, error } = getPipeline(device, spec.shader, spec.defines ?? {}, (message) => {
    s.firstError = message;
  });
  // A pipeline known to be broken fails at the call site instead of at a later read.
  if (error !== null) throw new Error(error);

  const bindGroup = s.bindings.bindGroup(pipeline, spec.buffers, spec.params, label);

  let pass: GPUComputePassEncoder;
  if (observer === null) pass = openPass(s);
  else {
    s.encoder ??= device.createCommandEncoder();
    pass = s.pass = observer.passFor(s.encoder, s.pass, spec.label ?? spec.shader);
  }
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  const [x, y = 1, z = 1] = spec.workgroups;
  if (x > 0 && y > 0 && z > 0) pass.dispatchWorkgroups(x, y, z);
  s.dispatches++;
  s.totalDispatches++;
  if (s.dispatches >= maxDispatchesPerSubmit && spec.noAutoSubmit !== true) {
    submitPending(s, undefined, true);
    throwIfFailed(s);
  }
}

/** Copies `bytes` bytes from `src` to `dst` in recording order. */
export function copyBuffer(src: GPUBuffer, dst: GPUBuffer, bytes: number): void {
  const s = runtime();
  openPass(s);
  s.pass!.end();
  s.encoder!.copyBufferToBuffer(src, 0, dst, 0, Math.ceil(bytes / 4) * 4);
  s.pass = s.encoder!.beginComputePass();
}

/** Sets the first `bytes` bytes of `buffer` to zero in recording order. */
export function clearBuffer(buffer: GPUBuffer, bytes: number): void {
  const s = runtime();
  openPass(s);
  s.pass!.end();
  s.encoder!.clearBuffer(buffer, 0, Math.ceil(bytes / 4) * 4);
  s.pass = s.encoder!.beginComputePass();
}

/** Submits every recorded dispatch and throws the first WebGPU error reported so far. */
export function flush(): void {
  const s = runtime();
  submitPending(s);
  throwIfFailed(s);
}

/** Ends the open pass, lets `extra` record copies after it, submits, and recycles released buffers. */
function submitPending(s: DeviceState, extra?: (encoder: GPUCommandEncoder) => void, automatic = false): void {
  for (const hook of beforeSubmitHooks) hook(automatic);
  if (extra !== undefined) openPass(s);
  if (s.encoder !== null) {
    s.pass!.end();
    observer?.beforeFinish(s.encoder);
    extra?.(s.encoder);
    s.gpu.device.queue.submit([s.encoder.finish()]);
    s.encoder = null;
    s.pass = null;
    s.submits++;
  }
  s.dispatches = 0;
  s.pool.afterSubmit();
  s.bindings.afterSubmit();
}

/** Reads `bytes` bytes of a buffer back to the CPU, submitting pending work first. */
export async function readBuffer(buffer: GPUBuffer, bytes: number, label: string): Promise<ArrayBuffer> {
  const s = runtime();
  const device = s.gpu.device;
  const size = Math.max(4, Math.ceil(bytes / 4) * 4);
  const staging = device.createBuffer({ size, usage: MAP_READ_USAGE, label: `read ${label}` });

  submitPending(s, (encoder) => encoder.copyBufferToBuffer(buffer, 0, staging, 0, size));

  let copy: ArrayBuffer;
  try {
    await untilDeviceLoss(staging.mapAsync(0x0001 /* GPUMapMode.READ */), `${label}: read`);
    // The device can be destroyed between the mapping and this line, and then this throws.
    copy = staging.getMappedRange().slice(0, bytes);
  } catch (error) {
    staging.destroy();
    // A destroyed device can fail mapAsync or getMappedRange before its `lost` promise
    // has settled, so a failure of that kind waits up to 1 s for the loss to be recorded.
    const name = (error as Error).name;
    if (deviceGoneReason(device) === null && (name === 'AbortError' || name === 'OperationError')) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([device.lost, new Promise((resolve) => (timer = setTimeout(resolve, 1000)))]);
      clearTimeout(timer);
    }
    const goneReason = deviceGoneReason(device);
    if (goneReason !== null) throw new Error(`${label}: read failed because the GPU device ${goneReason}; call init() to get a new device`);
    await settleCompileChecks();
    throwIfFailed(s);
    throw error;
  }
  staging.unmap();
  staging.destroy();
  // A dispatch with a broken pipeline reports a generic "invalid" error at once. The
  // compile check names the shader and line and replaces that error, so wait for it.
  await settleCompileChecks();
  throwIfFailed(s);
  return copy;
}

/**
 * Waits for `promise`, but rejects as soon as the device is lost, because a lost
 * device may never settle a mapAsync or onSubmittedWorkDone.
 */
async function untilDeviceLoss<T>(promise: Promise<T>, operation: string): Promise<T> {
  let rejectOnLoss!: (reason: string) => void;
  const lost = new Promise<never>((_, reject) => {
    rejectOnLoss = (reason) => reject(new Error(`${operation} failed because the GPU device was lost: ${reason}; call init() to get a new device`));
  });
  pendingReads.add(rejectOnLoss);
  try {
    return await Promise.race([promise, lost]);
  } finally {
    pendingReads.delete(rejectOnLoss);
  }
}

/** Waits until the GPU has finished all submitted work. */
export async function sync(): Promise<void> {
  flush();
  await untilDeviceLoss(runtime().gpu.device.queue.onSubmittedWorkDone(), 'sync');
}

export function submitCount(): number {
  return state?.submits ?? 0;
}

/** Returns the number of dispatches recorded since the device was created. */
export function dispatchCount(): number {
  return state?.totalDispatches ?? 0;
}

/** Returns the bind-group cache's hit and miss counts, to check that steady-state steps reuse their bind groups. */
export function bindingStats(): { hits: number; misses: number; uniforms: number } {
  return state?.bindings.stats() ?? { hits: 0, misses: 0, uniforms: 0 };
}

export function poolStats(): { pooledBytes: number; allocatedBytes: number } {
  return { pooledBytes: state?.pool.pooledBytes ?? 0, allocatedBytes: state?.pool.allocatedBytes ?? 0 };
}

/** Sets the most bytes the buffer pool keeps for reuse and destroys pooled buffers above it at once. */
export function setPoolCap(bytes: number): void {
  if (!(bytes >= 0) || !Number.isFinite(bytes)) throw new Error(`setPoolCap: bytes must be a finite number >= 0, got ${bytes}`);
  const pool = runtime().pool;
  pool.capBytes = bytes;
  pool.trim();
}

/** Packs uniform parameters: each entry is a u32, an i32 or an f32, 4 bytes each, in order. */
export function packParams(values: ([ 'u32' | 'i32' | 'f32', number ])[]): ArrayBuffer {
  const words = Math.max(4, Math.ceil(values.length / 4) * 4);
  const buffer = new ArrayBuffer(words * 4);
  const view = new DataView(buffer);
  values.forEach(([type, value], i) => {
    if (type === 'f32') view.setFloat32(i * 4, value, true);
    else if (type === 'i32') view.setInt32(i * 4, value, true);
    else view.setUint32(i * 4, value, true);
  });
  return buffer;
}

/** Workgroup counts for `n` threads of `size` each, spread over x and y to stay under the per-dimension limit. */
export function grid(n: number, size: number): [number, number] {
  const groups = Math.ceil(n / size);
  const maxPerDim = runtime().gpu.limits.maxComputeWorkgroupsPerDimension;
  if (groups <= maxPerDim) return [groups, 1];
  const y = Math.ceil(groups / maxPerDim);
  return [Math.ceil(groups / y), y];
}
