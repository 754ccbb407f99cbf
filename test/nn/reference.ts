// float64 references of the layers, shared by the layer and model tests.

import { UNARY_OPS } from '../../src/ops/elementwise.js';

/** float64 reference of Linear: y = x W + b over rows of x [rows, n] with W [n, m]. */
export function referenceLinear(x: Float64Array, w: Float64Array, b: Float64Array | null, n: number, m: number): Float64Array {
  const rows = x.length / n;
  const y = new Float64Array(rows * m);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < m; j++) {
      let s = b === null ? 0 : b[j];
      for (let k = 0; k < n; k++) s += x[r * n + k] * w[k * m + j];
      y[r * m + j] = s;
    }
  }
  return y;
}

export function referenceRelu(x: Float64Array): Float64Array {
  return x.map((v) => Math.max(v, 0));
}

/** float64 layer norm over rows of length d with the biased variance. */
export function referenceLayerNorm(x: Float64Array, w: Float64Array, b: Float64Array, d: number, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    const row = x.subarray(r * d, (r + 1) * d);
    const mean = row.reduce((s, v) => s + v, 0) / d;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / d;
    for (let j = 0; j < d; j++) y[r * d + j] = ((row[j] - mean) / Math.sqrt(variance + eps)) * w[j] + b[j];
  }
  return y;
}

/** Exact gelu, v Phi(v), by the float64 reference of the gelu op. */
export function referenceGelu(v: number): number {
  return UNARY_OPS.geluErf.cpu(v);
}

/**
 * Convolution with kernel size and stride P over images [B, C, H, W], as a direct float64
 * loop. The kernel is read from a patch matmul weight [C P P, D] (row c P^2 + i P + j).
 * Returns [B, (H/P) (W/P), D] tokens in row-major patch order.
 */
export function referencePatchConv(
  images: Float64Array,
  weight: Float64Array,
  bias: Float64Array,
  shape: [number, number, number, number],
  P: number,
  D: number,
): Float64Array {
  const [B, C, H, W] = shape;
  const rows = H / P;
  const cols = W / P;
  const out = new Float64Array(B * rows * cols * D);
  for (let b = 0; b < B; b++) {
    for (let r = 0; r < rows; r++) {
      for (let q = 0; q < cols; q++) {
        for (let d = 0; d < D; d++) {
          let s = bias[d];
          for (let c = 0; c < C; c++) {
            for (let i = 0; i < P; i++) {
              for (let j = 0; j < P; j++) {
                const pixel = images[((b * C + c) * H + r * P + i) * W + q * P + j];
                s += pixel * weight[(c * P * P + i * P + j) * D + d];
              }
            }
          }
          out[((b * rows + r) * cols + q) * D + d] = s;
        }
      }
    }
  }
  return out;
}

/** Prepends the class token to tokens [B, N, D] and adds position embeddings [N + 1, D]. */
export function referenceTokens(patches: Float64Array, cls: Float64Array, pos: Float64Array, B: number, N: number, D: number): Float64Array {
  const out = new Float64Array(B * (N + 1) * D);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t <= N; t++) {
      for (let d = 0; d < D; d++) {
        const value = t === 0 ? cls[d] : patches[(b * N + t - 1) * D + d];
        out[(b * (N + 1) + t) * D + d] = value + pos[t * D + d];
      }
    }
  }
  return out;
}
