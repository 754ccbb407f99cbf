import { describe, expect, it } from 'vitest';
import { Linear, Module, ReLU, Sequential } from '../../src/nn/index.js';
import { randn, tensor } from '../../src/ops/create.js';
import { tidy } from '../../src/tensor/scope.js';
import { Rng } from '../../src/util/rng.js';

class Block extends Module {
  readonly fc: Linear;
  readonly scale;

  constructor(rng: Rng) {
    super();
    this.fc = this.registerModule('fc', new Linear(3, 4, { rng }));
    this.scale = this.registerParameter('scale', randn([4], { rng }));
    this.registerBuffer('count', tensor([5], { shape: [1] }));
  }

  forward(x: ReturnType<typeof randn>) {
    return this.fc.forward(x).mul(this.scale);
  }
}

describe('Module', () => {
  it('names parameters in registration order', () => {
    const block = new Block(new Rng(1));
    expect(block.namedParameters().map(([n]) => n)).toEqual(['scale', 'fc.weight', 'fc.bias']);
    expect(Object.keys(block.stateDict())).toEqual(['scale', 'fc.weight', 'fc.bias', 'count']);
    expect(block.numParameters()).toBe(4 + 12 + 4);
    expect(block.parameters().every((p) => p.requiresGrad)).toBe(true);
  });

  it('rejects duplicate and dotted names', () => {
    class Bad extends Module {
      constructor(name: string, twice: boolean) {
        super();
        this.registerParameter(name, randn([1]));
        if (twice) this.registerParameter(name, randn([1]));
      }
    }
    expect(() => new Bad('w', true)).toThrow(/'w' is already registered in Bad/);
    expect(() => new Bad('a.b', false)).toThrow(/name 'a.b' is invalid/);
  });

  it('parameters survive tidy', async () => {
    const layer = tidy(() => new Linear(2, 2, { rng: new Rng(2) }));
    expect(layer.weight.isDisposed).toBe(false);
    expect((await layer.weight.data()).length).toBe(4);
  });

  it('train and eval reach submodules', () => {
    const model = new Sequential(new Linear(2, 2), new ReLU());
    model.eval();
    expect(model.layers.map((l) => l.training)).toEqual([false, false]);
    expect(model.training).toBe(false);
    model.train();
    expect(model.layers.map((l) => l.training)).toEqual([true, true]);
  });

  it('loadStateDict copies in place', async () => {
    const a = new Block(new Rng(3));
    const b = new Block(new Rng(4));
    const weightBefore = b.fc.weight;
    b.loadStateDict(a.stateDict());
    expect(b.fc.weight).toBe(weightBefore);
    expect(await b.fc.weight.data()).toEqual(await a.fc.weight.data());
    expect(await b.scale.data()).toEqual(await a.scale.data());
  });

  it('loadStateDict accepts float arrays', async () => {
    const block = new Block(new Rng(5));
    const dict = Object.fromEntries(
      Object.entries(block.stateDict()).map(([k, t]) => [k, { shape: t.shape, data: new Float32Array(t.size).fill(0.25) }]),
    );
    block.loadStateDict(dict);
    expect(Array.from(await block.fc.bias!.data())).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('strict load names the missing key', () => {
    const block = new Block(new Rng(6));
    const dict: Record<string, unknown> = { ...block.stateDict() };
    delete dict['fc.bias'];
    expect(() => block.loadStateDict(dict as never)).toThrow(/missing keys: 'fc.bias'/);
  });

  it('strict load names the unexpected key', () => {
    const block = new Block(new Rng(7));
    const dict = { ...block.stateDict(), 'fc.gamma': randn([4]) };
    expect(() => block.loadStateDict(dict)).toThrow(/unexpected keys: 'fc.gamma'/);
  });

  it('load names the key of a wrong shape', async () => {
    const block = new Block(new Rng(8));
    const before = await block.scale.data();
    const dict = { ...block.stateDict(), scale: randn([4, 1]), 'fc.bias': randn([4]) };
    expect(() => block.loadStateDict(dict)).toThrow(/'scale' has shape \[4,1\] but the module expects \[4\]/);
    expect(await block.scale.data()).toEqual(before);
  });

  it('non-strict load returns skipped keys', () => {
    const block = new Block(new Rng(9));
    const { scale: _, ...rest } = block.stateDict();
    const result = block.loadStateDict({ ...rest, extra: randn([2]) }, { strict: false });
    expect(result.missingKeys).toEqual(['scale']);
    expect(result.unexpectedKeys).toEqual(['extra']);
  });

  it('freeze keeps weights while inputs get gradients', async () => {
    const rng = new Rng(10);
    const layer = new Linear(3, 2, { rng, biasStd: 0.1 }).freeze();
    const before = await layer.weight.data();
    const x = randn([4, 3], { rng, requiresGrad: true });
    layer.forward(x).sum().backward();
    expect(layer.weight.grad).toBeNull();
    expect(layer.bias!.grad).toBeNull();
    expect(x.grad).not.toBeNull();
    // d(sum(x W + b))/dx[r, k] = sum_j W[k, j]
    const w = await layer.weight.data();
    const expected = [0, 1, 2].map((k) => w[k * 2] + w[k * 2 + 1]);
    const grad = await x.grad!.data();
    expect(Array.from(grad.slice(0, 3))).toEqual(expected.map((v) => Math.fround(v)));
    expect(await layer.weight.data()).toEqual(before);
  });

  it('zeroGrad and dispose', async () => {
    const layer = new Linear(2, 3, { rng: new Rng(11) });
    layer.forward(randn([1, 2])).sum().backward();
    expect(layer.weight.grad).not.toBeNull();
    layer.zeroGrad();
    expect(layer.weight.grad).toBeNull();
    layer.dispose();
    expect(layer.weight.isDisposed).toBe(true);
  });
});
