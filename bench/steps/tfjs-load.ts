// Loads TensorFlow.js 4.22 with its WebGPU backend in Node, on the adapter of the
// `webgpu` package, with every gradient registered.
//
// The Node build of @tensorflow/tfjs-core (dist/tf-core.node.js) registers no
// gradient functions; they come from dist/register_all_gradients.js, an ES module
// with extensionless imports that Node cannot load. So this file bundles tfjs-core,
// its gradients and the WebGPU backend from their ES module sources with esbuild
// into one CommonJS file in the system temp folder, once per version, and loads that.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { create, globals } from 'webgpu';

type Tf = typeof import('@tensorflow/tfjs-core');

export interface LoadedTfjs {
  tf: Tf;
  /** Kernel launches (runWebGPUProgram calls) so far. */
  launches(): number;
  /** Queue submits so far. */
  submits(): number;
  adapter: string;
}

const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
}

async function bundlePath(): Promise<string> {
  const versions = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-webgpu'].map(packageVersion).join('-');
  const path = join(tmpdir(), `talkgrad-bench-tfjs-${versions}.cjs`);
  if (existsSync(path)) return path;
  await build({
    stdin: {
      contents: [
        "export * from '@tensorflow/tfjs-core';",
        "import '@tensorflow/tfjs-core/dist/register_all_gradients';",
        "import '@tensorflow/tfjs-backend-webgpu';",
      ].join('\n'),
      resolveDir: process.cwd(),
    },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    // The "module" field points at the ES module sources, where the gradients live.
    mainFields: ['module', 'main'],
    outfile: path,
    logLevel: 'error',
  });
  return path;
}

/** Keeps the Dawn instance referenced for the life of the process, because the backend holds only its device. */
let gpuInstance: GPU | null = null;

export async function loadTfjs(): Promise<LoadedTfjs> {
  Object.assign(globalThis, globals);
  gpuInstance = create([]);
  (globalThis as { navigator?: unknown }).navigator = { gpu: gpuInstance };
  const tf = require(await bundlePath()) as Tf;
  if (!(await tf.setBackend('webgpu'))) throw new Error('TensorFlow.js: the webgpu backend failed to initialize');
  await tf.ready();

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
