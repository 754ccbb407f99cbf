// Tensor lifetime: dispose, tidy, keep, memory() counts, and a leak test of 1,000
// training steps of a small MLP built from raw ops.

import { describe, expect, it } from 'vitest';
import { keep, matmul, memory, noGrad, randn, Rng, tensor, tidy, type Tensor } from '../../src/index.js';

describe('dispose', () => {
  it('twice is safe', () => {
    const x = tensor([1, 2]);
    x.dispose();
    expect(() => x.dispose()).not.toThrow();
    expect(x.isDisposed).toBe(true);
  });

  it('read after dispose names the tensor', async () => {
    const x = tensor([1, 2, 3]).mul(2);
    x.dispose();
    await expect(x.data()).rejects.toThrow('tensor [3] (from mul) was disposed and can no longer be used');
  });

  it('op on disposed input throws', () => {
    const x = tensor([[1, 2]]);
    x.dispose();
    expect(() => x.exp()).toThrow(/tensor \[1,2\] \(from tensor\) was disposed/);
  });

  it('alias keeps shared storage', async () => {
    const x = tensor([1, 2, 3, 4]);
    const y = x.reshape([2, 2]);
    x.dispose();
    expect(Array.from(await y.data())).toEqual([1, 2, 3, 4]);
  });

  it('memory counts tensors and bytes', () => {
    const before = memory();
    const x = tensor(new Float32Array(10));
    expect(memory().liveTensors).toBe(before.liveTensors + 1);
    expect(memory().liveBytes).toBe(before.liveBytes + 40);
    // A reshape is a second tensor on the same storage, counted once in bytes.
    const y = x.reshape([2, 5]);
    expect(memory().liveTensors).toBe(before.liveTensors + 2);
    expect(memory().liveBytes).toBe(before.liveBytes + 40);
    x.dispose();
    expect(memory().liveBytes).toBe(before.liveBytes + 40);
    y.dispose();
    expect(memory().liveTensors).toBe(before.liveTensors);
    expect(memory().liveBytes).toBe(before.liveBytes);
  });
});

describe('tidy', () => {
  it('frees all but the result', async () => {
    const before = memory().liveTensors;
    const outer = tensor([1, 2]);
    let inner: Tensor | null = null;
    const result = tidy(() => {
      inner = outer.mul(2);
      return inner.add(1);
    });
    expect(inner!.isDisposed).toBe(true);
    expect(outer.isDisposed).toBe(false);
    expect(Array.from(await result.data())).toEqual([3, 5]);
    expect(memory().liveTensors).toBe(before + 2);
  });

  it('keeps arrays and objects of tensors', () => {
    const before = memory().liveTensors;
    const { a, list } = tidy(() => {
      const x = tensor([1]);
      return { a: x.add(1), list: [x.mul(2), x.mul(3)] };
    });
    // Only the direct values of the object count: the array inside it is freed.
    expect(a.isDisposed).toBe(false);
    expect(list[0].isDisposed).toBe(true);
    expect(memory().liveTensors).toBe(before + 1);
    const [p, q] = tidy(() => [tensor([1]), tensor([2])]);
    expect(p.isDisposed || q.isDisposed).toBe(false);
  });

  it('frees everything when fn throws', () => {
    const before = memory();
    let intermediate: Tensor | null = null;
    expect(() =>
      tidy(() => {
        intermediate = tensor([1, 2, 3]).exp();
        throw new Error('step failed');
      }),
    ).toThrow('step failed');
    expect(intermediate!.isDisposed).toBe(true);
    expect(memory().liveTensors).toBe(before.liveTensors);
    expect(memory().liveBytes).toBe(before.liveBytes);
  });

  it('nested tidy moves results outward', () => {
    const before = memory().liveTensors;
    let fromInner: Tensor | null = null;
    const result = tidy(() => {
      fromInner = tidy(() => tensor([1]).add(1));
      expect(fromInner.isDisposed).toBe(false);
      return fromInner.mul(2);
    });
    expect(fromInner!.isDisposed).toBe(true);
    expect(result.isDisposed).toBe(false);
    expect(memory().liveTensors).toBe(before + 1);
  });

  it('keep exempts from every scope', () => {
    let keptTensor: Tensor | null = null;
    tidy(() => {
      tidy(() => {
        keptTensor = keep(tensor([1]));
      });
    });
    expect(keptTensor!.isDisposed).toBe(false);
    keptTensor!.dispose();
  });

  it('rejects async functions', () => {
    const before = memory().liveTensors;
    expect(() =>
      tidy(async () => {
        tensor([1]);
      }),
    ).toThrow(/tidy: fn returned a Promise/);
    expect(memory().liveTensors).toBe(before);
  });

  it('backward frees its intermediates', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.exp().mul(x).sum();
    const before = memory();
    y.backward();
    // Only the new x.grad remains.
    expect(memory().liveTensors).toBe(before.liveTensors + 1);
    expect(memory().liveBytes).toBe(before.liveBytes + 8);
  });

  it('accumulation frees the old grad', async () => {
    const x = tensor([1, 2], { requiresGrad: true });
    tidy(() => x.mul(3).sum().backward());
    const old = x.grad!;
    const before = memory();
    tidy(() => x.mul(3).sum().backward());
    expect(old.isDisposed).toBe(true);
    expect(memory().liveTensors).toBe(before.liveTensors);
    expect(memory().liveBytes).toBe(before.liveBytes);
    expect(Array.from(await x.grad!.data())).toEqual([6, 6]);
  });

  it('backward inside tidy keeps grads', async () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const before = memory().liveTensors;
    tidy(() => x.mul(x).sum().backward());
    expect(memory().liveTensors).toBe(before + 1);
    expect(Array.from(await x.grad!.data())).toEqual([2, 4]);
  });
});

describe('leak test', () => {
  it('1000 MLP steps', async () => {
    const rng = new Rng(77);
    const x = randn([5, 3], { rng });
    const target = randn([5, 2], { rng });
    let params = [randn([3, 7], { rng, std: 0.5 }), randn([7], { rng, std: 0.1 }), randn([7, 2], { rng, std: 0.5 }), randn([2], { rng, std: 0.1 })];
    for (const p of params) p.requiresGrad_();

    // Plain SGD without in-place updates: new parameters are created inside tidy and
    // kept. The old ones and their grads are disposed.
    const step = () =>
      tidy(() => {
        const [w1, b1, w2, b2] = params;
        const h = matmul(x, w1).add(b1).relu();
        const diff = matmul(h, w2).add(b2).sub(target);
        diff.mul(diff).mean().backward();
        const next = noGrad(() => params.map((p) => keep(p.sub(p.grad!.mul(0.05)).requiresGrad_())));
        for (const p of params) {
          p.zeroGrad();
          p.dispose();
        }
        params = next;
      });

    step();
    const afterFirst = memory();
    for (let i = 1; i < 1000; i++) step();
    const afterLast = memory();
    expect(afterLast.liveTensors).toBe(afterFirst.liveTensors);
    expect(afterLast.liveBytes).toBe(afterFirst.liveBytes);
  });

  it('MLP loss decreases', async () => {
    const rng = new Rng(78);
    const x = randn([5, 3], { rng });
    const target = randn([5, 2], { rng });
    let w = randn([3, 2], { rng }).requiresGrad_();
    const lossOf = (weights: Tensor) => {
      const diff = matmul(x, weights).sub(target);
      return diff.mul(diff).mean();
    };
    const first = await tidy(() => lossOf(w)).item();
    for (let i = 0; i < 50; i++) {
      tidy(() => {
        lossOf(w).backward();
        const next = keep(noGrad(() => w.sub(w.grad!.mul(0.1))).requiresGrad_());
        w.zeroGrad();
        w.dispose();
        w = next;
      });
    }
    const last = await tidy(() => lossOf(w)).item();
    expect(last).toBeLessThan(first * 0.9);
  });
});
