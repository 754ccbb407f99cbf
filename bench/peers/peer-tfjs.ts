// TensorFlow.js (tfjs-core with the WebGPU backend) in the peer benchmark. Ops it
// has no fused kernel for are composed from its public ops, as a user would write
// them. Gradients come from tf.grads.

import type * as TfCore from '@tensorflow/tfjs-core';
import { requireTfjsWebGpu, type Tf } from '../tfjs-bundle.js';
import type { HostTensor, Peer, PeerCase, PeerPass, PreparedRun } from './peer.js';

type TfTensor = TfCore.Tensor;

/** The WebGPU backend members used to submit its batched commands (tfjs-backend-webgpu 4.22). */
interface WebGpuBackend {
  device: GPUDevice;
  commandEncoder: GPUCommandEncoder | null;
  endComputePassEncoder: () => void;
  submitQueue: () => void;
}

/** Loads tfjs with the WebGPU backend; `navigator.gpu` must exist before the import. */
export async function loadTfjs(version: string): Promise<Peer> {
  const tf = await requireTfjsWebGpu();
  const backend = tf.backend() as unknown as WebGpuBackend;
  return { name: 'tfjs', version, prepare: (c, pass) => prepare(tf, backend, c, pass) };
}

/** Returns the composed op as a function of the float inputs; `extra` contains inputs without gradients. */
function composedOp(tf: Tf, c: PeerCase, extra: TfTensor[]): (...xs: TfTensor[]) => TfTensor {
  switch (c.op) {
    case 'matmul':
      return (a, b) => tf.matMul(a, b);
    case 'attention': {
      const scale = 1 / Math.sqrt(c.inputs[0].shape[3]);
      return (q, k, v) => tf.matMul(tf.softmax(tf.mul(tf.matMul(q, k, false, true), scale)), v);
    }
    case 'layerNorm':
      return (x, w, b) => {
        const { mean, variance } = tf.moments(x, -1, true);
        return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), w), b);
      };
    case 'softmax':
      return (x) => tf.softmax(x);
    case 'crossEntropy':
      // extra[0] is the one-hot labels [N, C]. The default reduction is the mean over rows.
      return (logits) => tf.losses.softmaxCrossEntropy(extra[0], logits);
  }
}

function toTf(tf: Tf, h: HostTensor): TfTensor {
  return tf.tensor(h.values, h.shape, h.values instanceof Int32Array ? 'int32' : 'float32');
}

async function prepare(tf: Tf, backend: WebGpuBackend, c: PeerCase, pass: PeerPass): Promise<PreparedRun> {
  const floats = c.inputs.filter((h) => h.values instanceof Float32Array).map((h) => toTf(tf, h));
  const extra: TfTensor[] = [];
  if (c.op === 'crossEntropy') {
    const classes = c.inputs[0].shape[1];
    extra.push(tf.tidy(() => tf.cast(tf.oneHot(toTf(tf, c.inputs[1]) as TfCore.Tensor1D, classes), 'float32')));
  }
  const dy = toTf(tf, c.dy);
  const op = composedOp(tf, c, extra);
  const gradients = tf.grads((...xs: TfTensor[]) => op(...xs));
  const record = (): TfTensor[] => tf.tidy(() => (pass === 'forward' ? [op(...floats)] : gradients(floats, dy)));

  const submit = () => {
    // The backend batches dispatches and submits only every few of them or on a read.
    if (backend.commandEncoder !== null) {
      backend.endComputePassEncoder();
      backend.submitQueue();
    }
  };
  return {
    once: async () => {
      const outs = record();
      submit();
      await backend.device.queue.onSubmittedWorkDone();
      tf.dispose(outs);
    },
    outputs: async () => {
      const outs = record();
      const values = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
      tf.dispose(outs);
      return values;
    },
    gpuTimeMs: async () => {
      // tf.time puts each kernel in its own pass with timestamp writes and sums them.
      const info = await tf.time(() => tf.dispose(record()));
      return typeof info.kernelMs === 'number' ? info.kernelMs : null;
    },
    dispose: () => tf.dispose([...floats, ...extra, dy]),
  };
}
