import { describe, expect, it } from 'vitest';
import { Embedding, EmbeddingBag } from '../../src/nn/index.js';
import { tensor } from '../../src/ops/create.js';
import { Rng } from '../../src/util/rng.js';
import { moduleGradCheck, readParams } from './module-check.js';

// Gathers are exact and each bag sums at most 4 rows: f32 rounding is below 1e-6 relative.
const TOL = { rtol: 1e-5, atol: 1e-5 };

describe('Embedding', () => {
  it('repeated ids in a 2D batch', async () => {
    const layer = new Embedding(7, 5, { rng: new Rng(1) });
    const idValues = [3, 0, 6, 3, 3, 1];
    const ids = tensor(Int32Array.from(idValues), { shape: [2, 3] });
    const out = layer.forward(ids);
    expect(out.shape).toEqual([2, 3, 5]);
    await moduleGradCheck(
      'embedding 7x5 ids 2x3',
      layer,
      () => layer.forward(ids),
      (_, p) => Float64Array.from(idValues.flatMap((id) => Array.from(p.weight.slice(id * 5, id * 5 + 5)))),
      [],
      TOL,
    );
  });

  it('seeded normal init with std', async () => {
    const a = await readParams(new Embedding(50, 20, { rng: new Rng(2), std: 0.1 }));
    const b = await readParams(new Embedding(50, 20, { rng: new Rng(2), std: 0.1 }));
    expect(a.weight).toEqual(b.weight);
    const variance = a.weight.reduce((s, v) => s + v * v, 0) / a.weight.length;
    // 1000 draws: the sample std lies within 10% of 0.1 with overwhelming probability.
    expect(Math.sqrt(variance)).toBeGreaterThan(0.09);
    expect(Math.sqrt(variance)).toBeLessThan(0.11);
  });
});

describe('EmbeddingBag', () => {
  // Bags: [4, 1, 4], [], [0], [2, 5, 5, 1].
  const idValues = [4, 1, 4, 0, 2, 5, 5, 1];
  const offsetValues = [0, 3, 3, 4, 8];

  function referenceBags(weight: Float64Array, dim: number, mean: boolean): Float64Array {
    const out = new Float64Array((offsetValues.length - 1) * dim);
    for (let b = 0; b + 1 < offsetValues.length; b++) {
      const count = offsetValues[b + 1] - offsetValues[b];
      for (let k = offsetValues[b]; k < offsetValues[b + 1]; k++) {
        for (let d = 0; d < dim; d++) out[b * dim + d] += weight[idValues[k] * dim + d] / (mean ? count : 1);
      }
    }
    return out;
  }

  for (const mode of ['mean', 'sum'] as const) {
    it(`${mode} with an empty bag`, async () => {
      const layer = new EmbeddingBag(6, 3, { rng: new Rng(3), mode });
      const ids = tensor(Int32Array.from(idValues));
      const offsets = tensor(Int32Array.from(offsetValues));
      await moduleGradCheck(
        `embeddingBag ${mode}`,
        layer,
        () => layer.forward(ids, offsets),
        (_, p) => referenceBags(p.weight, 3, mode === 'mean'),
        [],
        TOL,
      );
    });
  }
});
