// Library matmul with f16 products (precision 'f16', needs 'shader-f16'), with the
// fixed default tiling (tuning 'off'), and as it ran before tuning and vec4 B columns
// ('matmul-before'), to compare with the tuned f32 'matmul' variant in one process.

import { gpu } from '../../src/gpu/device.js';
import { dispatch } from '../../src/gpu/runtime.js';
import { MATMUL_LOADS, matmul, rowKernelDispatch, vectorKernelDispatch, type MatmulLaunch } from '../../src/ops/matmul.js';
import { baseMatmulTiling, matmulTiling, matmulTuningMode, setMatmulTuning } from '../../src/ops/matmul-tuning.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { registerVariant } from '../registry.js';

registerVariant({
  family: 'matmul',
  name: 'matmul-f16',
  description: "library matmul with precision 'f16': products rounded to f16, sums in f32",
  run: ([a, b]) => {
    if (!gpu().hasF16) throw new Error("matmul-f16: the adapter lacks 'shader-f16'");
    return matmul(a, b, { precision: 'f16' });
  },
});

registerVariant({
  family: 'matmul',
  name: 'matmul-untuned',
  description: "library matmul with tuning 'off' (fixed default tiling)",
  run: ([a, b]) => {
    const mode = matmulTuningMode();
    setMatmulTuning('off');
    try {
      return matmul(a, b);
    } finally {
      setMatmulTuning(mode);
    }
  },
});

/** Records matmul as the library did before autotune: default tiling, and B columns of the N <= 4 kernel read element by element. */
function matmulBefore(a: Tensor, b: Tensor): Tensor {
  const [M, K] = a.shape;
  const N = b.shape[1];
  const out = Tensor.empty([M, N], 'float32', 'matmul-before');
  const launch: MatmulLaunch = {
    A: { buffer: a.buffer, row: K, col: 1, batch: 0 },
    B: { buffer: b.buffer, row: N, col: 1, batch: 0 },
    out: out.buffer, M, N, K, batch: 1, bias: undefined, activation: 'none', precision: 'f32',
  };
  const mode = matmulTuningMode();
  setMatmulTuning('off');
  try {
    if (N > 4) {
      dispatch(rowKernelDispatch(launch, matmulTiling(M, N, baseMatmulTiling())));
    } else {
      const spec = vectorKernelDispatch(launch);
      spec.defines = { ...spec.defines, B_ELEMENT: 'f32', LOAD_B: MATMUL_LOADS.stridedBColumn };
      dispatch(spec);
    }
  } finally {
    setMatmulTuning(mode);
  }
  return out;
}

registerVariant({
  family: 'matmul',
  name: 'matmul-before',
  description: 'library matmul as before autotune and vec4 B columns (default tiling, scalar B column loads)',
  run: ([a, b]) => matmulBefore(a, b),
});
