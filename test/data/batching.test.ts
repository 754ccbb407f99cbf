import { describe, expect, it } from 'vitest';

import { EpochSampler } from '../../src/data/batching.js';
import { classCounts, selectImages } from '../../src/data/image-dataset.js';
import { computeNormalization, gatherLabels, normalizeImages } from '../../src/data/normalize.js';
import { stratifiedSubset } from '../../src/data/subset.js';
import { Rng } from '../../src/util/rng.js';
import { randomImageDataset } from '../fixtures/idx.js';

function drain(sampler: EpochSampler, batches: number): number[][] {
  return Array.from({ length: batches }, () => Array.from(sampler.nextBatch()));
}

describe('EpochSampler', () => {
  it('epoch visits every index once', () => {
    const sampler = new EpochSampler({ size: 23, batchSize: 5, seed: 1 });
    const seen = drain(sampler, 5).flat();
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 23 }, (_, i) => i));
  });

  it('last batch shorter', () => {
    const sampler = new EpochSampler({ size: 23, batchSize: 5, seed: 1 });
    expect(drain(sampler, 5).map((batch) => batch.length)).toEqual([5, 5, 5, 5, 3]);
  });

  it('epoch advances after last batch', () => {
    const sampler = new EpochSampler({ size: 23, batchSize: 5, seed: 1 });
    drain(sampler, 4);
    expect(sampler.epoch).toBe(0);
    sampler.nextBatch();
    expect(sampler.epoch).toBe(1);
    expect(sampler.cursor).toBe(0);
  });

  it('dropLast skips short batch', () => {
    const sampler = new EpochSampler({ size: 23, batchSize: 5, seed: 1, dropLast: true });
    expect(sampler.batchesLeftInEpoch()).toBe(4);
    drain(sampler, 4);
    expect(sampler.epoch).toBe(1);
  });

  it('epochs differ in order', () => {
    const sampler = new EpochSampler({ size: 31, batchSize: 31, seed: 2 });
    expect(sampler.nextBatch()).not.toEqual(sampler.nextBatch());
  });

  it('same seed same batches', () => {
    const a = drain(new EpochSampler({ size: 17, batchSize: 4, seed: 3 }), 12);
    const b = drain(new EpochSampler({ size: 17, batchSize: 4, seed: 3 }), 12);
    expect(a).toEqual(b);
  });

  it('resume mid-epoch exactly', () => {
    const reference = new EpochSampler({ size: 29, batchSize: 6, seed: 4 });
    const expected = drain(reference, 17);

    const first = new EpochSampler({ size: 29, batchSize: 6, seed: 4 });
    const before = drain(first, 8);
    const saved = JSON.parse(JSON.stringify(first.state()));
    expect(saved.cursor).toBeGreaterThan(0);

    const resumed = new EpochSampler({ size: 29, batchSize: 6, seed: 999 });
    resumed.setState(saved);
    expect([...before, ...drain(resumed, 9)]).toEqual(expected);
  });

  it('resume at epoch boundary', () => {
    const reference = drain(new EpochSampler({ size: 10, batchSize: 5, seed: 5 }), 6);
    const first = new EpochSampler({ size: 10, batchSize: 5, seed: 5 });
    drain(first, 4);
    const resumed = new EpochSampler({ size: 10, batchSize: 5, seed: 0 });
    resumed.setState(first.state());
    expect(resumed.epoch).toBe(2);
    expect(drain(resumed, 2)).toEqual(reference.slice(4));
  });

  it('bad cursor rejected', () => {
    const sampler = new EpochSampler({ size: 10, batchSize: 3, seed: 6 });
    expect(() => sampler.setState({ epoch: 0, cursor: 10, rngState: 1 })).toThrow(/cursor 10 is outside \[0, 10\)/);
  });

  it('dropLast batch larger than size', () => {
    expect(() => new EpochSampler({ size: 3, batchSize: 4, seed: 1, dropLast: true })).toThrow(/dropLast would drop every batch/);
  });
});

describe('stratifiedSubset', () => {
  const labels = Int32Array.from({ length: 503 }, (_, i) => (i * 7 + (i % 3)) % 10);

  it('balanced counts', () => {
    const subset = stratifiedSubset(labels, 17, new Rng(1), 10);
    const picked = Int32Array.from(subset, (i) => labels[i]);
    expect(Array.from(classCounts(picked, 10))).toEqual(new Array(10).fill(17));
  });

  it('ascending unique indices', () => {
    const subset = Array.from(stratifiedSubset(labels, 17, new Rng(1), 10));
    expect(subset).toEqual([...new Set(subset)].sort((a, b) => a - b));
  });

  it('seed decides subset', () => {
    expect(stratifiedSubset(labels, 9, new Rng(2))).toEqual(stratifiedSubset(labels, 9, new Rng(2)));
    expect(stratifiedSubset(labels, 9, new Rng(2))).not.toEqual(stratifiedSubset(labels, 9, new Rng(3)));
  });

  it('class too small', () => {
    expect(() => stratifiedSubset(labels, 60, new Rng(1), 10)).toThrow(/class \d has \d+ items, fewer than the 60 requested/);
  });
});

describe('normalizeImages', () => {
  const dataset = randomImageDataset(new Rng(7), { n: 9, channels: 3, height: 5, width: 4, numClasses: 4 });
  const normalization = { mean: [0.41, 0.52, 0.33], std: [0.21, 0.27, 0.19] };

  it('formula per channel', () => {
    const out = normalizeImages(dataset, normalization);
    for (const i of [0, 20, 21, 45, 179, 539]) {
      const channel = Math.floor(i / 20) % 3;
      const expected = (dataset.images[i] / 255 - normalization.mean[channel]) / normalization.std[channel];
      expect(out[i]).toBeCloseTo(expected, 5);
    }
  });

  it('indices select images', () => {
    const indices = [8, 2, 2];
    expect(normalizeImages(dataset, normalization, indices)).toEqual(normalizeImages(selectImages(dataset, indices), normalization));
    expect(gatherLabels(dataset, indices)).toEqual(Int32Array.from(indices, (i) => dataset.labels[i]));
  });

  it('computed stats normalize to zero mean', () => {
    const out = normalizeImages(dataset, computeNormalization(dataset));
    const mean = out.reduce((sum, x) => sum + x, 0) / out.length;
    const variance = out.reduce((sum, x) => sum + x * x, 0) / out.length;
    expect(Math.abs(mean)).toBeLessThan(1e-5);
    expect(variance).toBeCloseTo(1, 4);
  });

  it('channel count mismatch', () => {
    expect(() => normalizeImages(dataset, { mean: [0.5], std: [0.2] })).toThrow(/1 means and 1 stds but the images have 3 channels/);
  });

  it('index out of range', () => {
    expect(() => normalizeImages(dataset, normalization, [3, 9])).toThrow('normalizeImages: index 9 at position 1 is outside [0, 9)');
  });
});
