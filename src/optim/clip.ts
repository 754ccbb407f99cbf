// Gradient clipping by the global L2 norm over all parameters, as PyTorch's
// clip_grad_norm_: every gradient is scaled by min(1, maxNorm / (norm + 1e-6)).

import { noGrad } from '../autograd/grad-mode.js';
import { full } from '../ops/create.js';
import { rdiv } from '../ops/binary.js';
import { keep, tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Scales the gradients of `params` in place so their global norm is at most `maxNorm`.
 * Parameters without a gradient are skipped. Returns the norm before clipping as a
 * one-element tensor, so the step needs no GPU read.
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number): Tensor {
  if (!(maxNorm > 0)) throw new Error(`clipGradNorm: maxNorm must be positive, got ${maxNorm}`);
  const withGrad = [...params].filter((p) => p.grad !== null);

  return noGrad(() =>
    tidy(() => {
      if (withGrad.length === 0) return full([], 0);
      let squares: Tensor | null = null;
      for (const p of withGrad) {
        const s = p.grad!.mul(p.grad!).sum();
        squares = squares === null ? s : squares.add(s);
      }
      const norm = squares!.sqrt();

      // The scale stays on the GPU: scale = clamp(maxNorm / (norm + 1e-6), 0, 1).
      const scale = rdiv(maxNorm, norm.add(1e-6)).clamp(0, 1);
      for (const p of withGrad) {
        const scaled = keep(p.grad!.mul(scale));
        p.grad!.dispose();
        p.grad = scaled;
      }
      return norm;
    }),
  );
}
