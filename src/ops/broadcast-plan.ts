// Collapses a broadcast of two operands to the fewest dims: adjacent dims merge when
// each operand either reads them contiguously or broadcasts both. A bias added to
// [batch, tokens, dim] becomes [batch * tokens, dim] with strides (0, 1) for the bias.

import { broadcastStrides, type Shape } from '../tensor/shape.js';

export interface CollapsedDim {
  size: number;
  /** Stride of each operand along this dim, in elements (0 when broadcast). */
  strides: [number, number];
}

/** Returns the merged dims of `a` and `b` broadcast to `shape`, outermost first; size-1 dims are dropped. */
export function collapseBroadcast(shape: Shape, a: Shape, b: Shape): CollapsedDim[] {
  const sa = broadcastStrides(a, shape);
  const sb = broadcastStrides(b, shape);
  const dims: CollapsedDim[] = [];
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const next: CollapsedDim = { size: shape[d], strides: [sa[d], sb[d]] };
    const last = dims[dims.length - 1];
    // Merging keeps element k of the pair at outer * stride + inner * next stride, which
    // holds when the outer stride equals the inner stride times the inner size.
    if (last !== undefined && last.strides.every((s, k) => s === next.strides[k] * next.size)) {
      last.size *= next.size;
      last.strides = next.strides;
    } else {
      dims.push(next);
    }
  }
  return dims;
}
