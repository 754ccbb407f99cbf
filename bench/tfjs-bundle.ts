// Loads TensorFlow.js (tfjs-core with every gradient and the WebGPU backend) in Node,
// for the peer and training-step benchmarks.
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

export type Tf = typeof import('@tensorflow/tfjs-core');

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

/** Loads the bundle and selects its WebGPU backend; `navigator.gpu` must exist first. */
export async function requireTfjsWebGpu(): Promise<Tf> {
  const tf = require(await bundlePath()) as Tf;
  if (!(await tf.setBackend('webgpu'))) throw new Error('TensorFlow.js: the webgpu backend failed to initialize');
  await tf.ready();
  return tf;
}
