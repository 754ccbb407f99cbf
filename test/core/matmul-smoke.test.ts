import { describe, it } from 'vitest';
import { Rng } from '../../src/util/rng.js';
import { gradCheck, randomValues } from '../helpers/check.js';

function referenceMatmul(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let t = 0; t < k; t++) s += a[i * k + t] * b[t * n + j];
    c[i * n + j] = s;
  }
  return c;
}

describe('matmul', () => {
  it('2D odd shapes', async () => {
    const rng = new Rng(1);
    for (const [m, k, n] of [[1, 1, 1], [3, 5, 7], [33, 17, 65]]) {
      await gradCheck(
        `matmul ${m}x${k}x${n}`,
        ([a, b]) => a.matmul(b),
        ([a, b]) => referenceMatmul(a, b, m, k, n),
        [{ shape: [m, k], values: randomValues([m, k], rng) }, { shape: [k, n], values: randomValues([k, n], rng) }],
        { rtol: 1e-4, atol: 1e-4 },
      );
    }
  });
});
