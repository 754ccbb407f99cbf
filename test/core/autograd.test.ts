// Semantics of the reverse-mode engine: accumulation, shared inputs, diamonds,
// retainGraph, noGrad, detach, requiresGrad_, frozen tensors and zeroGrad.

import { describe, expect, it } from 'vitest';
import { enableGrad, isGradEnabled, matmul, noGrad, tensor, zeroGrad } from '../../src/index.js';
import { expectAllClose } from '../helpers/check.js';

const EXACT = { rtol: 0, atol: 0 };
// A few f32 roundings of values near 1 to 10.
const CLOSE = { rtol: 1e-6, atol: 1e-6 };

async function values(t: { data(): Promise<Float32Array> } | null): Promise<number[]> {
  expect(t).not.toBeNull();
  return Array.from(await t!.data());
}

describe('gradient flow', () => {
  it('accumulates across backward calls', async () => {
    const x = tensor([1, -2, 3], { requiresGrad: true });
    x.mul(x).sum().backward();
    x.mul(3).sum().backward();
    // 2x + 3
    expect(await values(x.grad)).toEqual([5, -1, 9]);
  });

  it('tensor used twice', async () => {
    const x = tensor([0.5, 2], { requiresGrad: true });
    x.mul(x).add(x).sum().backward();
    expect(await values(x.grad)).toEqual([2, 5]);
  });

  it('diamond graph', async () => {
    const x = tensor([0.5, -1, 2], { requiresGrad: true });
    const a = x.exp();
    const b = a.mul(2);
    const c = a.mul(a);
    b.add(c).sum().backward();
    // d/dx (2 e^x + e^2x) = 2 e^x + 2 e^2x
    const expected = [0.5, -1, 2].map((v) => 2 * Math.exp(v) + 2 * Math.exp(2 * v));
    expectAllClose(await x.grad!.data(), expected, CLOSE, 'gradient');
  });

  it('deep chain', async () => {
    const x = tensor([0.3], { requiresGrad: true });
    let y = x;
    for (let i = 0; i < 2000; i++) y = y.add(0.001);
    y.mul(2).sum().backward();
    expect(await values(x.grad)).toEqual([2]);
  });

  it('explicit output gradient', async () => {
    const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    x.mul(x).backward(tensor([[1, 0], [0.5, -1]]));
    expect(await values(x.grad)).toEqual([2, 0, 3, -8]);
  });

  it('leaf as root', async () => {
    const x = tensor([1, 2], { requiresGrad: true });
    x.backward(tensor([3, 4]));
    expect(await values(x.grad)).toEqual([3, 4]);
  });

  it('intermediate gets no grad', async () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.mul(2);
    h.sum().backward();
    expect(h.grad).toBeNull();
    expect(await values(x.grad)).toEqual([2, 2]);
  });
});

describe('retainGraph', () => {
  it('second backward with retained graph', async () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(x).sum();
    y.backward(undefined, { retainGraph: true });
    y.backward();
    expect(await values(x.grad)).toEqual([4, 8]);
  });

  it('second backward without retained graph throws', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.exp().sum();
    y.backward();
    expect(() => y.backward()).toThrow(/backward: the graph through sum was already freed by an earlier backward; pass \{ retainGraph: true \}/);
  });

  it('freed graph is found below the root', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.exp();
    h.sum().backward();
    expect(() => h.mul(2).sum().backward()).toThrow(/graph through exp was already freed/);
  });
});

describe('backward errors', () => {
  it('non-scalar needs a gradient', () => {
    const y = tensor([1, 2], { requiresGrad: true }).mul(2);
    expect(() => y.backward()).toThrow(
      'backward: grad can be implied only for a one-element output, got shape [2]; pass a gradient of the same shape',
    );
  });

  it('gradient shape must match', () => {
    const y = tensor([1, 2], { requiresGrad: true }).mul(2);
    expect(() => y.backward(tensor([1, 2, 3]))).toThrow('backward: gradient shape [3] differs from output shape [2]');
  });

  it('output without grad', () => {
    expect(() => tensor([1]).mul(2).backward()).toThrow(/backward: the tensor does not require grad/);
  });
});

describe('grad mode', () => {
  it('noGrad records nothing', async () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = noGrad(() => x.mul(3));
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(await values(y)).toEqual([3, 6]);
  });

  it('noGrad restores after a throw', () => {
    expect(() =>
      noGrad(() => {
        throw new Error('inside');
      }),
    ).toThrow('inside');
    expect(isGradEnabled()).toBe(true);
  });

  it('enableGrad inside noGrad', () => {
    const x = tensor([1], { requiresGrad: true });
    const y = noGrad(() => enableGrad(() => x.mul(2)));
    expect(y.requiresGrad).toBe(true);
    expect(isGradEnabled()).toBe(true);
  });

  it('detach in a graph', async () => {
    const x = tensor([2, 3], { requiresGrad: true });
    const y = x.mul(x.detach().add(1));
    y.sum().backward();
    expect(await values(x.grad)).toEqual([3, 4]);
  });
});

describe('requiresGrad', () => {
  it('requiresGrad_ sets and returns', () => {
    const x = tensor([1]);
    expect(x.requiresGrad_()).toBe(x);
    expect(x.requiresGrad).toBe(true);
    x.requiresGrad_(false);
    expect(x.requiresGrad).toBe(false);
  });

  it('int32 cannot require grad', () => {
    expect(() => tensor([1], { dtype: 'int32' }).requiresGrad_()).toThrow('requiresGrad_: an int32 tensor cannot require grad');
  });

  it('non-leaf cannot drop grad', () => {
    const y = tensor([1], { requiresGrad: true }).mul(2);
    expect(() => y.requiresGrad_(false)).toThrow(/cannot turn off requiresGrad of a non-leaf tensor; use detach\(\)/);
  });

  it('output of untracked inputs', () => {
    expect(tensor([1]).add(tensor([2])).requiresGrad).toBe(false);
  });

  it('frozen weight between trainable parts', async () => {
    // x -> x @ w1 -> relu -> @ w2 (frozen) -> sum; w1 and x still get gradients.
    const x = tensor([[1, -1]], { requiresGrad: true });
    const w1 = tensor([[1, 2], [3, -4]], { requiresGrad: true });
    const w2 = tensor([[2], [-1]]);
    const h = matmul(x, w1).relu();
    matmul(h, w2).sum().backward();
    expect(w2.grad).toBeNull();
    // h = relu([-2, 6]) = [0, 6]; dL/dh = w2^T = [2, -1], masked by relu to [0, -1];
    // dL/dw1 = x^T [0, -1] and dL/dx = [0, -1] w1^T.
    expect(await values(w1.grad)).toEqual([0, -1, 0, 1]);
    expect(await values(x.grad)).toEqual([-2, 4]);
  });
});

describe('zeroGrad', () => {
  it('tensor zeroGrad', async () => {
    const x = tensor([1, 2], { requiresGrad: true });
    x.mul(2).sum().backward();
    const old = x.grad!;
    x.zeroGrad();
    expect(x.grad).toBeNull();
    expect(old.isDisposed).toBe(true);
    x.mul(3).sum().backward();
    expect(await values(x.grad)).toEqual([3, 3]);
  });

  it('zeroGrad of a list', async () => {
    const a = tensor([1], { requiresGrad: true });
    const b = tensor([2], { requiresGrad: true });
    a.mul(b).sum().backward();
    zeroGrad([a, b]);
    expect(a.grad).toBeNull();
    expect(b.grad).toBeNull();
  });

  it('zeroGrad without grad is safe', () => {
    const x = tensor([1], { requiresGrad: true });
    x.zeroGrad();
    expect(x.grad).toBeNull();
  });
});

describe('gradient values', () => {
  it('accumulated gradient is exact', async () => {
    const x = tensor([0.25], { requiresGrad: true });
    for (let i = 0; i < 3; i++) x.mul(4).sum().backward();
    expectAllClose(await x.grad!.data(), [12], EXACT, 'gradient');
  });
});
