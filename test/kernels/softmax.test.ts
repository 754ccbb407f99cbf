import { describe, expect, it } from 'vitest';
import { logSoftmax, softmax, tensor } from '../../src/index.js';
import { Rng } from '../../src/util/rng.js';
import { expectAllClose, gpuTensor, gradCheck, randomValues, roundF32 } from '../helpers/check.js';
import { expectAllWritten, LENGTHS, poisonPool } from './kernel-helpers.js';

/** float64 softmax or log-softmax over contiguous rows of `len`. */
function referenceSoftmax(x: Float64Array, len: number, log: boolean): Float64Array {
  const out = new Float64Array(x.length);
  for (let base = 0; base < x.length; base += len) {
    let m = -Infinity;
    for (let j = 0; j < len; j++) m = Math.max(m, x[base + j]);
    let s = 0;
    for (let j = 0; j < len; j++) s += Math.exp(x[base + j] - m);
    for (let j = 0; j < len; j++) {
      const z = x[base + j] - m;
      out[base + j] = log ? z - Math.log(s) : Math.exp(z) / s;
    }
  }
  return out;
}

/** Returns a rank-3 array's values with dim `d` moved last, and the function that moves it back. */
function permuteLast(x: Float64Array, shape: number[], d: number): { values: Float64Array; inverse: (y: Float64Array) => Float64Array } {
  const [a, b, c] = shape;
  const at = (i: number, j: number, k: number) => (i * b + j) * c + k;
  const order = [0, 1, 2].filter((i) => i !== d).concat(d);
  const dims = order.map((i) => shape[i]);
  const index = (p: number[]) => {
    const idx = [0, 0, 0];
    order.forEach((o, i) => (idx[o] = p[i]));
    return at(idx[0], idx[1], idx[2]);
  };
  const values = new Float64Array(x.length);
  const map: number[] = [];
  let n = 0;
  for (let i = 0; i < dims[0]; i++) for (let j = 0; j < dims[1]; j++) for (let k = 0; k < dims[2]; k++) {
    map.push(index([i, j, k]));
    values[n++] = x[map[map.length - 1]];
  }
  const inverse = (y: Float64Array) => {
    const out = new Float64Array(y.length);
    map.forEach((src, i) => (out[src] = y[i]));
    return out;
  };
  return { values, inverse };
}

// Forward: |error| <= 1e-5 relative for softmax (a few f32 roundings of exp and the
// sum); log-softmax is x - max - log(sum) with absolute error ~1e-6 per unit of
// |x - max|. Gradients add one row reduction of 257 terms: rtol 1e-4, atol 1e-5.
const TOL = { rtol: 1e-4, atol: 1e-5 };

describe('softmax', () => {
  for (const log of [false, true]) {
    const name = log ? 'logSoftmax' : 'softmax';
    const op = log ? logSoftmax : softmax;

    it(`${name} lengths and gradients`, async () => {
      const rng = new Rng(7);
      for (const len of LENGTHS) {
        const rows = len === 257 ? 2 : 3;
        await gradCheck(
          `${name} [${rows},${len}]`,
          ([x]) => op(x),
          ([x]) => referenceSoftmax(x, len, log),
          [{ shape: [rows, len], values: randomValues([rows, len], rng, -4, 4) }],
          TOL,
        );
      }
    });

    it(`${name} inner dims`, async () => {
      const rng = new Rng(8);
      const shape = [3, 5, 4];
      for (const dim of [0, 1, -3]) {
        const d = dim < 0 ? dim + 3 : dim;
        await gradCheck(
          `${name} [3,5,4] dim ${dim}`,
          ([x]) => op(x, dim),
          ([x]) => {
            const moved = permuteLast(x, shape, d);
            return moved.inverse(referenceSoftmax(moved.values, shape[d], log));
          },
          [{ shape, values: randomValues(shape, rng) }],
          TOL,
        );
      }
    });

    it(`${name} logits 1e4`, async () => {
      const rng = new Rng(9);
      for (const len of [3, 257]) {
        // Spread over [-1e4, 1e4], and clustered at 1e4 with unit spread.
        for (const [low, high] of [[-1e4, 1e4], [1e4 - 1, 1e4 + 1]]) {
          const values = roundF32(randomValues([2, len], rng, low, high));
          const out = await op(gpuTensor(values, [2, len])).data();
          // x - max is exact in f32 near 1e4 (Sterbenz), so the error is that of O(1) logits.
          const tol = log ? { rtol: 1e-6, atol: 1e-5 } : { rtol: 1e-5, atol: 1e-7 };
          expectAllClose(out, referenceSoftmax(values, len, log), tol, `${name} [2,${len}] in [${low}, ${high}]`);
        }
      }
    });

    it(`${name} scalar`, async () => {
      const out = await op(tensor(3.5)).data();
      expect(out[0]).toBe(log ? 0 : 1);
    });

    it(`${name} poisoned output`, async () => {
      const rng = new Rng(10);
      const [rows, len] = [5, 257];
      const x = gpuTensor(randomValues([rows, len], rng), [rows, len], true);
      poisonPool(rows * len);
      const y = op(x);
      expectAllWritten(await y.data(), `${name} forward`);
      poisonPool(rows * len);
      y.backward(gpuTensor(randomValues([rows, len], rng), [rows, len]));
      expectAllWritten(await x.grad!.data(), `${name} backward`);
    });
  }
});
