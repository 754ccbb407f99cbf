// A training step submits its work once, at the end of the optimizer step, and in
// steady state reuses every bind group except those whose uniforms change per step
// (Adam's bias corrections, one per parameter).

import { describe, expect, it } from 'vitest';
import { bindingStats, submitCount } from '../../src/gpu/runtime.js';
import { mseLoss, randn, Rng, tidy, type Tensor } from '../../src/index.js';
import { Linear, ReLU, Sequential } from '../../src/nn/index.js';
import { Adam, SGD, type Optimizer } from '../../src/optim/index.js';

function setup(makeOptimizer: (params: Tensor[]) => Optimizer) {
  const rng = new Rng(12);
  const model = new Sequential(new Linear(7, 9, { rng }), new ReLU(), new Linear(9, 3, { rng }));
  const optimizer = makeOptimizer(model.parameters());
  const x = randn([5, 7], { rng });
  const y = randn([5, 3], { rng });
  const step = (): Tensor =>
    tidy(() => {
      optimizer.zeroGrad();
      const loss = mseLoss(model.forward(x), y);
      loss.backward();
      optimizer.step();
      return loss;
    });
  return { step, params: model.parameters().length };
}

describe('training step', () => {
  it('one submit per step', async () => {
    const { step } = setup((params) => new Adam(params, { lr: 1e-3 }));
    await step().item();
    const before = submitCount();
    const loss = step();
    expect(submitCount() - before).toBe(1);
    await loss.item();
    expect(submitCount() - before).toBe(2);
  });

  it('SGD reuses bind groups', async () => {
    const { step } = setup((params) => new SGD(params, { lr: 0.01, momentum: 0.9 }));
    for (let i = 0; i < 5; i++) step().dispose();
    const before = bindingStats();
    step().dispose();
    expect(bindingStats().misses - before.misses).toBe(0);
  });

  it('Adam misses one per parameter', async () => {
    const { step, params } = setup((params) => new Adam(params, { lr: 1e-3 }));
    for (let i = 0; i < 5; i++) step().dispose();
    const before = bindingStats();
    step().dispose();
    expect(bindingStats().misses - before.misses).toBe(params);
  });
});
