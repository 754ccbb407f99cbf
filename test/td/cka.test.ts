import { describe, expect, it } from 'vitest';
import { featureMatrix, linearCka, type FeatureMatrix } from '../../src/td/cka.js';
import { Rng } from '../../src/util/rng.js';

function randomMatrix(rows: number, cols: number, rng: Rng): FeatureMatrix {
  const values = new Float64Array(rows * cols);
  for (let i = 0; i < values.length; i++) values[i] = rng.normal() + 0.5;
  return featureMatrix(values, rows, cols);
}

function matmul(x: FeatureMatrix, q: Float64Array, outCols: number): FeatureMatrix {
  const out = new Float64Array(x.rows * outCols);
  for (let i = 0; i < x.rows; i++) {
    for (let j = 0; j < outCols; j++) {
      let s = 0;
      for (let k = 0; k < x.cols; k++) s += x.values[i * x.cols + k] * q[k * outCols + j];
      out[i * outCols + j] = s;
    }
  }
  return featureMatrix(out, x.rows, outCols);
}

/** Returns a random d x d orthogonal matrix by Gram-Schmidt on Gaussian columns. */
function randomOrthogonal(d: number, rng: Rng): Float64Array {
  const columns: Float64Array[] = [];
  while (columns.length < d) {
    const v = Float64Array.from({ length: d }, () => rng.normal());
    for (const c of columns) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += v[k] * c[k];
      for (let k = 0; k < d; k++) v[k] -= dot * c[k];
    }
    const norm = Math.hypot(...v);
    columns.push(v.map((x) => x / norm));
  }
  const q = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) q[i * d + j] = columns[j][i];
  return q;
}

/** HSIC-based CKA with the explicit centering matrix H = I - 11^T / n. */
function referenceCka(x: FeatureMatrix, y: FeatureMatrix): number {
  const n = x.rows;
  const kernel = (a: FeatureMatrix) => {
    const k = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < a.cols; t++) s += a.values[i * a.cols + t] * a.values[j * a.cols + t];
      k[i * n + j] = s;
    }
    return k;
  };
  const centered = (k: Float64Array) => {
    const h = (i: number, j: number) => (i === j ? 1 : 0) - 1 / n;
    const hk = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < n; t++) s += h(i, t) * k[t * n + j];
      hk[i * n + j] = s;
    }
    const out = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < n; t++) s += hk[i * n + t] * h(t, j);
      out[i * n + j] = s;
    }
    return out;
  };
  // HSIC(K, L) = trace(K H L H) / (n - 1)^2, and trace(Kc Lc) = <Kc, Lc>_F for symmetric matrices.
  const hsic = (a: Float64Array, b: Float64Array) => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i] * b[i];
    return s / (n - 1) ** 2;
  };
  const kx = centered(kernel(x));
  const ky = centered(kernel(y));
  return hsic(kx, ky) / Math.sqrt(hsic(kx, kx) * hsic(ky, ky));
}

describe('linearCka', () => {
  it('self similarity is one', () => {
    const rng = new Rng(3);
    for (const [n, d] of [[2, 1], [7, 3], [20, 45]]) {
      const x = randomMatrix(n, d, rng);
      expect(linearCka(x, x, { form: 'gram' }), `gram ${n}x${d}`).toBeCloseTo(1, 12);
      expect(linearCka(x, x, { form: 'feature' }), `feature ${n}x${d}`).toBeCloseTo(1, 12);
    }
  });

  it('orthogonal transform invariance', () => {
    const rng = new Rng(5);
    const x = randomMatrix(13, 6, rng);
    const y = randomMatrix(13, 9, rng);
    const rotated = matmul(x, randomOrthogonal(6, rng), 6);
    const expected = linearCka(x, y);
    expect(linearCka(rotated, y, { form: 'gram' })).toBeCloseTo(expected, 12);
    expect(linearCka(rotated, y, { form: 'feature' })).toBeCloseTo(expected, 12);
    expect(linearCka(x, rotated)).toBeCloseTo(1, 12);
  });

  it('isotropic scaling invariance', () => {
    const rng = new Rng(6);
    const x = randomMatrix(11, 4, rng);
    const y = randomMatrix(11, 5, rng);
    const scaled = featureMatrix(Float64Array.from(x.values, (v) => v * 37.5), x.rows, x.cols);
    expect(linearCka(scaled, y)).toBeCloseTo(linearCka(x, y), 12);
    expect(linearCka(x, scaled)).toBeCloseTo(1, 12);
  });

  it('matches HSIC reference', () => {
    const rng = new Rng(7);
    for (const [n, dx, dy] of [[3, 1, 2], [9, 17, 4], [25, 5, 60]]) {
      const x = randomMatrix(n, dx, rng);
      const y = randomMatrix(n, dy, rng);
      const expected = referenceCka(x, y);
      // Both forms are float64 sums of at most ~1e4 terms: agreement to 1e-10 is ample.
      expect(Math.abs(linearCka(x, y, { form: 'gram' }) - expected), `gram ${n}`).toBeLessThan(1e-10);
      expect(Math.abs(linearCka(x, y, { form: 'feature' }) - expected), `feature ${n}`).toBeLessThan(1e-10);
      expect(expected, `nontrivial ${n}`).toBeLessThan(0.999);
    }
  });

  it('large offset stays accurate', () => {
    const rng = new Rng(8);
    const x = randomMatrix(15, 6, rng);
    const y = randomMatrix(15, 7, rng);
    const shifted = featureMatrix(Float64Array.from(x.values, (v) => v + 1e6), x.rows, x.cols);
    expect(Math.abs(linearCka(shifted, y) - referenceCka(x, y))).toBeLessThan(1e-8);
  });

  it('constant representation is NaN', () => {
    const rng = new Rng(9);
    const y = randomMatrix(4, 3, rng);
    const constant = featureMatrix(new Float64Array(8).fill(2.5), 4, 2);
    expect(linearCka(constant, y)).toBeNaN();
  });

  it('rejects mismatched rows', () => {
    const rng = new Rng(10);
    expect(() => linearCka(randomMatrix(4, 2, rng), randomMatrix(5, 2, rng))).toThrow(/different numbers of examples \(4 != 5\)/);
  });
});
