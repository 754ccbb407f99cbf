// talkgrad in the peer benchmark: the library's fused ops, timed like the peers
// (wall clock to queue completion) and, as an extra column, by GPU timestamps.

import { gpu } from '../../src/gpu/device.js';
import { sync } from '../../src/gpu/runtime.js';
import { crossEntropy, layerNorm, matmul, scaledDotProductAttention, softmax, tensor } from '../../src/ops/index.js';
import { tidy } from '../../src/tensor/scope.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { summarize, timeOp } from '../timer.js';
import type { HostTensor, Peer, PeerCase, PeerPass, PreparedRun } from './peer.js';

function runOp(c: PeerCase, inputs: Tensor[]): Tensor {
  switch (c.op) {
    case 'matmul':
      return matmul(inputs[0], inputs[1]);
    case 'attention':
      return scaledDotProductAttention(inputs[0], inputs[1], inputs[2]);
    case 'layerNorm':
      return layerNorm(inputs[0], inputs[1], inputs[2]);
    case 'softmax':
      return softmax(inputs[0], -1);
    case 'crossEntropy':
      return crossEntropy(inputs[0], inputs[1]);
  }
}

function upload(h: HostTensor, requiresGrad: boolean): Tensor {
  return tensor(h.values, { shape: h.shape, requiresGrad: requiresGrad && h.values instanceof Float32Array });
}

/** Returns the op's output, or the gradient of every float input, as in the peers. */
function record(c: PeerCase, pass: PeerPass, inputs: Tensor[], dy: Tensor): Tensor[] {
  const out = runOp(c, inputs);
  if (pass === 'forward') return [out];
  const node = out.gradFn;
  if (node === null) throw new Error(`${c.op}: the output has no gradient function`);
  // The node's own backward returns the input gradients without accumulating into .grad.
  const grads = node.backward(dy);
  return grads.filter((g, i) => inputs[i].requiresGrad && g !== null) as Tensor[];
}

export function talkgradPeer(version: string): Peer {
  return {
    name: 'talkgrad',
    version,
    prepare: async (c, pass) => {
      const backward = pass === 'forward+backward';
      const inputs = c.inputs.map((h) => upload(h, backward));
      const dy = upload(c.dy, false);
      const recordOnce = () => void record(c, pass, inputs, dy);
      const run: PreparedRun = {
        once: async () => {
          tidy(recordOnce);
          await sync();
        },
        outputs: async () => {
          const outs = tidy(() => record(c, pass, inputs, dy));
          const values = await Promise.all(outs.map((t) => t.data()));
          for (const t of outs) t.dispose();
          return values;
        },
        dispose: () => {
          for (const t of [...inputs, dy]) t.dispose();
        },
      };
      if (gpu().hasTimestamps) {
        run.gpuTimeMs = async () => {
          const timing = await timeOp(recordOnce, { warmup: 0, reps: 3 });
          return timing.method === 'gpu-timestamp' ? summarize(timing.ms).medianMs : null;
        };
      }
      return run;
    },
  };
}
