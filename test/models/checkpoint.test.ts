import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { decodeModelCheckpoint, encodeModelCheckpoint } from '../../src/io/checkpoint.js';
import { loadModel, loadTrainingCheckpoint, readModelCheckpoint, saveModel, saveTrainingCheckpoint } from '../../src/io/checkpoint-node.js';
import { LayerNorm, Linear, Sequential } from '../../src/nn/index.js';
import { AdamW } from '../../src/optim/index.js';
import { randn } from '../../src/ops/create.js';
import { Rng } from '../../src/util/rng.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'talkgrad-checkpoint-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function makeModel(seed: number): Sequential {
  const rng = new Rng(seed);
  return new Sequential(new Linear(5, 7, { rng, activation: 'relu', biasStd: 0.2 }), new LayerNorm(7), new Linear(7, 3, { rng }));
}

async function bits(model: Sequential): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [key, t] of Object.entries(model.stateDict())) out[key] = Array.from(new Uint32Array((await t.data()).buffer));
  return out;
}

describe('model checkpoint', () => {
  it('round trip is bit-exact', async () => {
    const source = makeModel(1);
    const target = makeModel(2);
    const path = join(dir, 'model.safetensors');
    await saveModel(path, source, { kind: 'mlp', widths: [5, 7, 3] });
    const { config, missingKeys, unexpectedKeys } = await loadModel(path, target);
    expect(config).toEqual({ kind: 'mlp', widths: [5, 7, 3] });
    expect(missingKeys).toEqual([]);
    expect(unexpectedKeys).toEqual([]);
    expect(await bits(target)).toEqual(await bits(source));
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('stores shapes, names and dtype', async () => {
    const model = makeModel(3);
    const decoded = decodeModelCheckpoint(await encodeModelCheckpoint(model), 'memory');
    expect(decoded.config).toBeUndefined();
    expect(Object.keys(decoded.stateDict).sort()).toEqual(['0.bias', '0.weight', '1.bias', '1.weight', '2.bias', '2.weight']);
    expect(decoded.stateDict['0.weight'].shape).toEqual([5, 7]);
  });

  it('strict load names the missing key', async () => {
    const path = join(dir, 'small.safetensors');
    await saveModel(path, new Sequential(new Linear(5, 7)));
    await expect(loadModel(path, makeModel(4))).rejects.toThrow(/missing keys: '1.weight', '1.bias', '2.weight', '2.bias'/);
    const checkpoint = await readModelCheckpoint(path);
    expect(Object.keys(checkpoint.stateDict).sort()).toEqual(['0.bias', '0.weight']);
  });
});

describe('training checkpoint', () => {
  it('resumes model, optimizer and extra exactly', async () => {
    const rng = new Rng(5);
    const inputs = Array.from({ length: 5 }, () => randn([4, 5], { rng }));
    const stepOnce = (model: Sequential, optimizer: AdamW, x: (typeof inputs)[number]) => {
      optimizer.zeroGrad();
      const y = model.forward(x);
      y.mul(y).mean().backward();
      optimizer.step();
    };

    const straight = makeModel(6);
    const straightOptimizer = new AdamW(straight.parameters(), { lr: 0.01 });
    for (const x of inputs) stepOnce(straight, straightOptimizer, x);

    const first = makeModel(6);
    const firstOptimizer = new AdamW(first.parameters(), { lr: 0.01 });
    for (const x of inputs.slice(0, 2)) stepOnce(first, firstOptimizer, x);
    const path = join(dir, 'train.safetensors');
    await saveTrainingCheckpoint(path, { model: first, optimizer: firstOptimizer, config: { widths: [5, 7, 3] }, extra: { epoch: 1, cursor: 8 } });

    const resumed = makeModel(7);
    const resumedOptimizer = new AdamW(resumed.parameters(), { lr: 0.5 });
    const restored = await loadTrainingCheckpoint(path, { model: resumed, optimizer: resumedOptimizer });
    expect(restored.config).toEqual({ widths: [5, 7, 3] });
    expect(restored.extra).toEqual({ epoch: 1, cursor: 8 });
    expect(resumedOptimizer.lr).toBe(0.01);
    for (const x of inputs.slice(2)) stepOnce(resumed, resumedOptimizer, x);
    expect(await bits(resumed)).toEqual(await bits(straight));
  });
});
