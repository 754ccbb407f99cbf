// Attention benchmark family: scaledDotProductAttention(q, k, v), inputs [q, k, v],
// all [batch, heads, tokens, headDim], forward and backward.

import { attentionReference, attentionReferenceBackward, scaledDotProductAttention } from '../src/ops/attention.js';
import { tensor } from '../src/ops/create.js';
import { compareArrays, randomArray, randomTensor } from './inputs.js';
import { registerVariant, type BenchCase, type Family, type KernelVariant } from './registry.js';

// [batch, heads, tokens, headDim]: 17 tokens (16 patches and a class token) in 4
// heads of 16, and the ViT-B/16 layout at 224x224 (197 tokens, 12 heads of 64).
const SHAPES: [number, number, number, number][] = [
  [64, 4, 17, 16],
  [8, 12, 197, 64],
];

function attentionCase([batch, heads, tokens, headDim]: [number, number, number, number], quick: boolean): BenchCase {
  // Two products of [tokens x headDim] by [headDim x tokens] size forward; backward
  // counts the usual 5 (S, dP, dV, dQ, dK), i.e. 2.5x forward.
  const forward = 4 * batch * heads * tokens * tokens * headDim;
  const shape = [batch, heads, tokens, headDim];
  return {
    label: `[${shape.join(',')}]`,
    passes: ['forward', 'backward'],
    makeInputs: (requiresGrad) => [randomTensor(shape, requiresGrad), randomTensor(shape, requiresGrad), randomTensor(shape, requiresGrad)],
    flops: { forward, backward: 2.5 * forward },
    reps: quick ? 3 : 5,
    warmup: 1,
  };
}

export const attentionFamily: Family = {
  name: 'attention',
  workModel: 'GFLOP/s = 4 B H L^2 D / time forward, 10 B H L^2 D / time backward (FlashAttention-2 count)',
  cases: (quick) => SHAPES.map((s) => attentionCase(s, quick)),
  check: async (variant: KernelVariant) => {
    const dims = { batch: 2, heads: 2, queries: 17, keys: 17, headDim: 8 };
    const shape = [2, 2, 17, 8];
    const n = 2 * 2 * 17 * 8;
    const [q, k, v, dO] = [21, 22, 23, 24].map((seed) => randomArray(n, -1, 1, seed));
    const inputs = [q, k, v].map((values) => tensor(values, { shape, requiresGrad: true }));
    const out = variant.run(inputs);
    // Convex combinations of 17 rows of v after an f32 softmax: error near 1e-6.
    const forward = compareArrays(`${variant.name} forward`, await out.data(), attentionReference(q, k, v, dims), 1e-4, 1e-5);
    if (forward !== null) return forward;

    out.backward(tensor(dO, { shape }));
    const expected = attentionReferenceBackward(q, k, v, dO, dims);
    const names = ['dq', 'dk', 'dv'] as const;
    for (let i = 0; i < 3; i++) {
      const grad = inputs[i].grad;
      if (grad === null) return `${variant.name}: no gradient for ${names[i].slice(1)}`;
      const failure = compareArrays(`${variant.name} ${names[i]}`, await grad.data(), expected[names[i]], 1e-4, 3e-5);
      if (failure !== null) return failure;
    }
    return null;
  },
};

registerVariant({
  family: 'attention',
  name: 'attention',
  description: 'library scaledDotProductAttention (shaders/attention-*.wgsl)',
  run: ([q, k, v]) => scaledDotProductAttention(q, k, v),
});
