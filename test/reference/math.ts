// float64 scalar functions for the elementwise references, written independently
// of the table in src/ops/elementwise.ts so that a mistake there cannot hide in both.

/** erf to about 1e-15: Maclaurin series below 3, Laplace's continued fraction for erfc above. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    // erf x = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    let power = ax;
    let sum = 0;
    for (let n = 0; n < 100; n++) {
      sum += power / (2 * n + 1);
      power *= (-ax * ax) / (n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc x = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
  let tail = 0;
  for (let n = 80; n >= 1; n--) tail = n / 2 / (ax + tail);
  return Math.sign(x) * (1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + tail));
}

export const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** Exact gelu: v Phi(v). */
export const gelu = (v: number): number => 0.5 * v * (1 + erf(v / Math.SQRT2));

const C = Math.sqrt(2 / Math.PI);

/** gelu with the tanh approximation. */
export const geluTanh = (v: number): number => 0.5 * v * (1 + Math.tanh(C * (v + 0.044715 * v ** 3)));

/** PyTorch's pow for a scalar exponent: a negative base with a fractional exponent gives NaN. */
export const powScalar = (v: number, e: number): number => Math.pow(v, e);
