// Gives the peers a WebGPU to find in Node. TensorFlow.js 4.22 and ONNX Runtime Web
// 1.31 both look for `navigator.gpu`, which Node 20 lacks, so this installs one backed
// by the `webgpu` package (Dawn). talkgrad's init() finds the same `navigator.gpu`,
// so all three libraries request their own device from one Dawn instance.

import { create, globals } from 'webgpu';

let instance: GPU | null = null;

/** Installs `navigator.gpu` and the GPU* globals once and returns the Dawn instance. */
export function installNavigatorGpu(): GPU {
  if (instance !== null) return instance;
  Object.assign(globalThis, globals);
  patchSharedMemoryWrites((globals as unknown as { GPUQueue: { prototype: GPUQueue } }).GPUQueue.prototype);
  // Dawn's instance must stay referenced while callbacks are pending (see src/gpu/device.ts).
  instance = create([]);
  const existing = (globalThis as { navigator?: object }).navigator;
  if (existing === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: instance }, configurable: true, writable: true });
  } else {
    Object.defineProperty(existing, 'gpu', { value: instance, configurable: true });
  }
  return instance;
}

/**
 * ONNX Runtime Web's WebGPU build runs in a threaded wasm module, so its
 * `queue.writeBuffer` sources are views on a SharedArrayBuffer. Dawn's Node bindings
 * (webgpu 0.6.2) reject those ("Invalid argument") and crash on a plain
 * SharedArrayBuffer view, while browsers accept both. This copies such a view into
 * an ordinary buffer first; other writes pass through unchanged.
 */
function patchSharedMemoryWrites(queue: GPUQueue): void {
  const original = queue.writeBuffer;
  queue.writeBuffer = function writeBuffer(this: GPUQueue, buffer, offset, data, dataOffset?, size?) {
    const view = data as ArrayBufferView;
    if (!ArrayBuffer.isView(view) || !(view.buffer instanceof SharedArrayBuffer)) {
      return original.call(this, buffer, offset, data as BufferSource, dataOffset, size);
    }
    // dataOffset and size count elements for typed arrays and bytes for other views.
    const elementBytes = (view as Partial<Float32Array>).BYTES_PER_ELEMENT ?? 1;
    const start = (dataOffset ?? 0) * elementBytes;
    const length = size !== undefined ? size * elementBytes : view.byteLength - start;
    const copy = new Uint8Array(length);
    copy.set(new Uint8Array(view.buffer, view.byteOffset + start, length));
    return original.call(this, buffer, offset, copy);
  };
}

/**
 * Resolves once V8 has finished its background compilation jobs, e.g. the optimizing
 * compile of ONNX Runtime Web's 28 MB wasm module (about 50 CPU-seconds with Node 20
 * on the 2-core machine of bench/peers/README.md). Node emits 'beforeExit' only after
 * it has drained those jobs with an empty event loop, so this must be awaited while
 * no timer or socket is open. Without the wait, the first timed runs share the CPU
 * with the compiler, and a Dawn callback may wait for the whole compile.
 */
export function waitForBackgroundCompilation(timeoutMs = 600_000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(finish, timeoutMs);
    // The timeout itself must not keep the event loop alive, or 'beforeExit' never runs.
    timer.unref();
    process.once('beforeExit', finish);
    function finish(): void {
      clearTimeout(timer);
      process.off('beforeExit', finish);
      resolve();
    }
  });
}
