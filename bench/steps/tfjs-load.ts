// Loads TensorFlow.js 4.22 with its WebGPU backend in Node, on the adapter of the
// `webgpu` package (bundled by bench/tfjs-bundle.ts), and counts its kernel launches
// and queue submits.

import { create, globals } from 'webgpu';
import { requireTfjsWebGpu, type Tf } from '../tfjs-bundle.js';

export interface LoadedTfjs {
  tf: Tf;
  /** Kernel launches (runWebGPUProgram calls) so far. */
  launches(): number;
  /** Queue submits so far. */
  submits(): number;
  adapter: string;
}

/** Keeps the Dawn instance referenced for the life of the process, because the backend holds only its device. */
let gpuInstance: GPU | null = null;

export async function loadTfjs(): Promise<LoadedTfjs> {
  Object.assign(globalThis, globals);
  gpuInstance = create([]);
  (globalThis as { navigator?: unknown }).navigator = { gpu: gpuInstance };
  const tf = await requireTfjsWebGpu();

  // Wraps the two methods on the backend instance; the backend calls both through `this`.
  const backend = tf.backend() as unknown as {
    runWebGPUProgram: (...args: unknown[]) => unknown;
    queue: GPUQueue;
    adapterInfo?: { vendor?: string; architecture?: string; description?: string };
  };
  let launches = 0;
  let submits = 0;
  const run = backend.runWebGPUProgram.bind(backend);
  backend.runWebGPUProgram = (...args: unknown[]) => {
    launches++;
    return run(...args);
  };
  const queue = backend.queue;
  const submit = queue.submit.bind(queue);
  queue.submit = (buffers: Iterable<GPUCommandBuffer>) => {
    submits++;
    submit(buffers);
  };
  const info = backend.adapterInfo ?? {};
  return {
    tf,
    launches: () => launches,
    submits: () => submits,
    adapter: [info.vendor, info.architecture, info.description].filter((s) => s).join(' ') || 'unknown',
  };
}
