// Float64 references of the op cases in cases.ts, and central differences for the
// gradient check of the browser's results.

/** C = A @ B for row-major A [m, k] and B [k, n]. */
export function matmul64(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += a[i * k + t] * b[t * n + j];
      c[i * n + j] = s;
    }
  }
  return c;
}

/** Softmax over each contiguous row of length `len`. */
export function softmaxRows64(x: ArrayLike<number>, len: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let start = 0; start < x.length; start += len) {
    let max = -Infinity;
    for (let j = 0; j < len; j++) max = Math.max(max, x[start + j]);
    let sum = 0;
    for (let j = 0; j < len; j++) sum += Math.exp(x[start + j] - max);
    for (let j = 0; j < len; j++) y[start + j] = Math.exp(x[start + j] - max) / sum;
  }
  return y;
}

/** loss = sum(softmax(x @ w) * c) for x [m, k], w [k, n], c [m, n]. */
export function softmaxMatmulLoss64(x: ArrayLike<number>, w: ArrayLike<number>, c: ArrayLike<number>, m: number, k: number, n: number): number {
  const y = softmaxRows64(matmul64(x, w, m, k, n), n);
  let loss = 0;
  for (let i = 0; i < y.length; i++) loss += y[i] * c[i];
  return loss;
}

/** d f / d values by central differences with step `eps`. */
export function centralDifferences(values: ArrayLike<number>, f: (v: Float64Array) => number, eps = 1e-6): Float64Array {
  const point = Float64Array.from(values);
  const grad = new Float64Array(point.length);
  for (let i = 0; i < point.length; i++) {
    const saved = point[i];
    point[i] = saved + eps;
    const plus = f(point);
    point[i] = saved - eps;
    const minus = f(point);
    point[i] = saved;
    grad[i] = (plus - minus) / (2 * eps);
  }
  return grad;
}
