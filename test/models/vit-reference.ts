// float64 reference of the ViT forward pass, written from the PyTorch / Hugging Face
// definitions (conv patch embedding, Linear y = x W^T + b) so that it checks both the
// model and the weight conversion of the Hugging Face loader.

import { referenceGelu, referenceLayerNorm } from '../nn/reference.js';

/** A dense layer's weights: w in [out, in] ('outIn', PyTorch) or [in, out] ('inOut', this library). */
export interface DenseWeights {
  w: Float64Array;
  b: Float64Array;
  layout: 'outIn' | 'inOut';
}

export function referenceDense(x: Float64Array, dense: DenseWeights, n: number, m: number): Float64Array {
  const rows = x.length / n;
  const y = new Float64Array(rows * m);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < m; j++) {
      let s = dense.b[j];
      for (let k = 0; k < n; k++) s += x[r * n + k] * (dense.layout === 'outIn' ? dense.w[j * n + k] : dense.w[k * m + j]);
      y[r * m + j] = s;
    }
  }
  return y;
}

export interface AttentionWeights {
  query: DenseWeights;
  key: DenseWeights;
  value: DenseWeights;
  out: DenseWeights;
}

/** Multi-head self-attention over x [B, T, D] with scale 1 / sqrt(D / heads). causal masks the keys after each query. */
export function referenceAttention(
  x: Float64Array,
  a: AttentionWeights,
  B: number,
  T: number,
  D: number,
  heads: number,
  causal = false,
): Float64Array {
  const q = referenceDense(x, a.query, D, D);
  const k = referenceDense(x, a.key, D, D);
  const v = referenceDense(x, a.value, D, D);
  const hd = D / heads;
  const merged = new Float64Array(B * T * D);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < T; i++) {
        const scores = new Float64Array(T);
        for (let j = 0; j < T; j++) {
          let s = 0;
          for (let d = 0; d < hd; d++) s += q[(b * T + i) * D + h * hd + d] * k[(b * T + j) * D + h * hd + d];
          scores[j] = causal && j > i ? -Infinity : s / Math.sqrt(hd);
        }
        const max = Math.max(...scores);
        const weights = scores.map((s) => Math.exp(s - max));
        const total = weights.reduce((s, w) => s + w, 0);
        for (let d = 0; d < hd; d++) {
          let s = 0;
          for (let j = 0; j < T; j++) s += (weights[j] / total) * v[(b * T + j) * D + h * hd + d];
          merged[(b * T + i) * D + h * hd + d] = s;
        }
      }
    }
  }
  return referenceDense(merged, a.out, D, D);
}

export interface BlockWeights {
  norm1: { w: Float64Array; b: Float64Array };
  attention: AttentionWeights;
  norm2: { w: Float64Array; b: Float64Array };
  dense1: DenseWeights;
  dense2: DenseWeights;
}

export interface BlockSizes {
  B: number;
  T: number;
  D: number;
  heads: number;
  mlp: number;
  eps: number;
}

/** Pre-LN block: x + attn(LN(x)), then + MLP(LN(.)) with exact GELU. */
export function referenceBlock(x: Float64Array, w: BlockWeights, s: BlockSizes): Float64Array {
  const attended = referenceAttention(referenceLayerNorm(x, w.norm1.w, w.norm1.b, s.D, s.eps), w.attention, s.B, s.T, s.D, s.heads);
  const x1 = x.map((v, i) => v + attended[i]);
  const hidden = referenceDense(referenceLayerNorm(x1, w.norm2.w, w.norm2.b, s.D, s.eps), w.dense1, s.D, s.mlp).map(referenceGelu);
  const mlp = referenceDense(hidden, w.dense2, s.mlp, s.D);
  return x1.map((v, i) => v + mlp[i]);
}

/** Block weights read from a parameter record of this library (prefix e.g. "blocks.0."). */
export function ourBlockWeights(p: Record<string, Float64Array>, prefix: string): BlockWeights {
  const dense = (name: string): DenseWeights => ({ w: p[`${prefix}${name}.weight`], b: p[`${prefix}${name}.bias`], layout: 'inOut' });
  return {
    norm1: { w: p[`${prefix}norm1.weight`], b: p[`${prefix}norm1.bias`] },
    attention: { query: dense('attention.query'), key: dense('attention.key'), value: dense('attention.value'), out: dense('attention.out') },
    norm2: { w: p[`${prefix}norm2.weight`], b: p[`${prefix}norm2.bias`] },
    dense1: dense('mlp.dense1'),
    dense2: dense('mlp.dense2'),
  };
}

export interface VitSizes {
  B: number;
  C: number;
  H: number;
  W: number;
  P: number;
  D: number;
  heads: number;
  depth: number;
  mlp: number;
  classes: number;
  eps: number;
}

/** Logits [B, classes] of a Hugging Face ViTForImageClassification with weights `get(name)`. */
export function referenceHfVit(images: Float64Array, get: (name: string) => Float64Array, s: VitSizes): Float64Array {
  const { B, C, H, W, P, D } = s;
  const rows = H / P;
  const cols = W / P;
  const N = rows * cols;
  const T = N + 1;

  // Conv2d with kernel [D, C, P, P] and stride P.
  const kernel = get('vit.embeddings.patch_embeddings.projection.weight');
  const kernelBias = get('vit.embeddings.patch_embeddings.projection.bias');
  const cls = get('vit.embeddings.cls_token');
  const pos = get('vit.embeddings.position_embeddings');
  let x: Float64Array = new Float64Array(B * T * D);
  for (let b = 0; b < B; b++) {
    for (let d = 0; d < D; d++) x[b * T * D + d] = cls[d] + pos[d];
    for (let r = 0; r < rows; r++) {
      for (let q = 0; q < cols; q++) {
        const t = 1 + r * cols + q;
        for (let d = 0; d < D; d++) {
          let sum = kernelBias[d];
          for (let c = 0; c < C; c++) {
            for (let i = 0; i < P; i++) {
              for (let j = 0; j < P; j++) sum += kernel[((d * C + c) * P + i) * P + j] * images[((b * C + c) * H + r * P + i) * W + q * P + j];
            }
          }
          x[(b * T + t) * D + d] = sum + pos[t * D + d];
        }
      }
    }
  }

  const dense = (name: string): DenseWeights => ({ w: get(`${name}.weight`), b: get(`${name}.bias`), layout: 'outIn' });
  for (let l = 0; l < s.depth; l++) {
    const layer = `vit.encoder.layer.${l}`;
    x = referenceBlock(
      x,
      {
        norm1: { w: get(`${layer}.layernorm_before.weight`), b: get(`${layer}.layernorm_before.bias`) },
        attention: {
          query: dense(`${layer}.attention.attention.query`),
          key: dense(`${layer}.attention.attention.key`),
          value: dense(`${layer}.attention.attention.value`),
          out: dense(`${layer}.attention.output.dense`),
        },
        norm2: { w: get(`${layer}.layernorm_after.weight`), b: get(`${layer}.layernorm_after.bias`) },
        dense1: dense(`${layer}.intermediate.dense`),
        dense2: dense(`${layer}.output.dense`),
      },
      { B, T, D, heads: s.heads, mlp: s.mlp, eps: s.eps },
    );
  }
  const normed = referenceLayerNorm(x, get('vit.layernorm.weight'), get('vit.layernorm.bias'), D, s.eps);
  const classTokens = new Float64Array(B * D);
  for (let b = 0; b < B; b++) classTokens.set(normed.subarray(b * T * D, b * T * D + D), b * D);
  return referenceDense(classTokens, dense('classifier'), D, s.classes);
}
