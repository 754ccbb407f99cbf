import { describe, expect, it } from 'vitest';
import { distance } from '../../src/td/distance.js';
import { StateLayout } from '../../src/td/state.js';
import { Rng } from '../../src/util/rng.js';
import { gpuTensor, randomValues, roundF32 } from '../helpers/check.js';

/** float64 distance of a and b (shape [..., d]) with the given kind and reduction. */
function referenceDistance(a: Float64Array, b: Float64Array, batch: number, d: number, kind: string, reduction: string, beta = 1): number {
  const values: number[] = [];
  if (kind === 'cosine') {
    for (let v = 0; v < a.length / d; v++) {
      let dot = 0;
      let na = 0;
      let nb = 0;
      for (let j = 0; j < d; j++) {
        dot += a[v * d + j] * b[v * d + j];
        na += a[v * d + j] ** 2;
        nb += b[v * d + j] ** 2;
      }
      values.push(1 - dot / Math.max(Math.sqrt(na * nb), 1e-8));
    }
  } else {
    for (let i = 0; i < a.length; i++) {
      const diff = Math.abs(a[i] - b[i]);
      if (kind === 'mse') values.push(diff * diff);
      else if (diff < beta) values.push((0.5 * diff * diff) / beta);
      else values.push(diff - 0.5 * beta);
    }
  }
  const total = values.reduce((s, v) => s + v, 0);
  if (reduction === 'mean') return total / values.length;
  if (reduction === 'sum') return total;
  return total / batch;
}

describe('distance', () => {
  const rng = new Rng(31);
  const shape = [3, 5, 7];
  const a = roundF32(randomValues(shape, rng));
  const b = roundF32(randomValues(shape, rng));
  for (const kind of ['mse', 'cosine', 'smoothL1'] as const) {
    for (const reduction of ['mean', 'batchMean', 'sum'] as const) {
      it(`${kind} ${reduction}`, async () => {
        const value = await distance(gpuTensor(a, shape), gpuTensor(b, shape), { kind, reduction, smoothL1Beta: 0.8 }).item();
        const expected = referenceDistance(a, b, 3, 7, kind, reduction, 0.8);
        // Sums of 105 f32 terms: relative error well below 1e-5.
        expect(Math.abs(value - expected), `${value} vs ${expected}`).toBeLessThan(1e-5 * Math.max(1, Math.abs(expected)));
      });
    }
  }

  it('cosine of parallel vectors is zero', async () => {
    const scaled = Float64Array.from(a, (v) => 2.5 * v);
    expect(await distance(gpuTensor(a, shape), gpuTensor(scaled, shape), { kind: 'cosine', reduction: 'mean' }).item()).toBeCloseTo(0, 5);
  });

  it('rejects shape mismatch', () => {
    expect(() => distance(gpuTensor(a, shape), gpuTensor(a, [3, 35]), { kind: 'mse', reduction: 'mean' }, 'interact')).toThrow(
      /interact: shapes \[3,5,7\] and \[3,35\] differ/,
    );
  });
});

describe('StateLayout', () => {
  const rng = new Rng(32);
  const s = roundF32(randomValues([2, 3, 4], rng));
  const e = roundF32(randomValues([2, 3, 5], rng));

  it('concat per token', async () => {
    const layout = new StateLayout('concat', { s: 4, e: 5 }, null);
    const joint = layout.joinState({ s: gpuTensor(s, [2, 3, 4]), e: gpuTensor(e, [2, 3, 5]) }, 'test');
    expect(joint.shape).toEqual([2, 3, 9]);
    expect(layout.jointDim).toBe(9);
    const values = await joint.data();
    expect(values[9 + 4]).toBe(Math.fround(e[5]));
  });

  it('flattenTokens round trip', async () => {
    const layout = new StateLayout('flattenTokens', { s: 4, e: 5 }, 3);
    const joint = layout.joinState({ s: gpuTensor(s, [2, 3, 4]), e: gpuTensor(e, [2, 3, 5]) }, 'test');
    expect(joint.shape).toEqual([2, 27]);
    expect(layout.decodedDims).toEqual({ s: 12, e: 15 });
    const split = layout.splitDecoded({ s: joint.slice(1, 0, 12), e: joint.slice(1, 12, 27) });
    expect(split.s.shape).toEqual([2, 3, 4]);
    expect(Array.from(await split.e.data())).toEqual(Array.from(Float32Array.from(e)));
  });

  it('rejects wrong state dims', () => {
    const layout = new StateLayout('concat', { s: 4, e: 6 }, null);
    expect(() => layout.joinState({ s: gpuTensor(s, [2, 3, 4]), e: gpuTensor(e, [2, 3, 5]) }, 'td student state')).toThrow(
      /td student state: states s .* do not fit stateDims \{ s: 4, e: 6 \}/,
    );
  });
});
