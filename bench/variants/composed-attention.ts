// Attention composed from primitive ops: softmax(scale q k^T) v with the score
// matrix [batch, heads, queries, keys] materialized, two batched matmuls and the
// composed softmax. The baseline for the fused kernels (shaders/attention-*.wgsl).

import { matmul } from '../../src/ops/matmul.js';
import { registerVariant } from '../registry.js';
import { composedSoftmax } from './composed-softmax.js';

registerVariant({
  family: 'attention',
  name: 'composed-attention',
  description: 'matmul(q, k^T) * scale, composed softmax, matmul with v; gradients from autograd',
  run: ([q, k, v]) => {
    const scale = 1 / Math.sqrt(q.shape[q.rank - 1]);
    // transB lets matmul read k^T through strides (it copies k to [keys, headDim]^T
    // itself when that is faster), so no separate transpose op is recorded.
    const scores = matmul(q, k, { transB: true }).mul(scale);
    return matmul(composedSoftmax(scores), v);
  },
});
