// Matmul benchmark family: C = A @ B on [M, K] x [K, N], inputs [a, b].

import { matmul, matmulReference } from '../src/ops/matmul.js';
import { tuneMatmul } from '../src/ops/matmul-autotune.js';
import { matmulTuningMode } from '../src/ops/matmul-tuning.js';
import { tensor } from '../src/ops/create.js';
import { compareArrays, randomArray, randomTensor } from './inputs.js';
import { registerVariant, type BenchCase, type Family, type KernelVariant } from './registry.js';

const SQUARE = [256, 512, 1024, 2048];
let tilingReported = false;
// (M, K, N): tall and skinny products like the Linear layers of a small transformer
// (tokens x features), forward and backward.
const RECTANGULAR: [number, number, number][] = [
  [4096, 64, 256],
  [4096, 256, 64],
  [256, 300, 512],
  [256, 512, 256],
  [2176, 64, 192],
];
// Matrix-vector products: N <= 4 selects shaders/matmul-vector.wgsl, M = 1 one-row blocks.
const VECTOR: [number, number, number][] = [
  [4096, 512, 1],
  [1, 512, 4096],
];

function matmulCase(M: number, K: number, N: number, quick: boolean): BenchCase {
  const flops = 2 * M * N * K;
  // About 1 s per run at 2048^3 on lavapipe: 3 timed runs there, more on small shapes.
  let reps = quick ? 3 : 7;
  if (flops > 4e9) reps = 3;
  return {
    label: M === K && K === N ? `${M}^3` : `${M}x${K}x${N}`,
    passes: ['forward'],
    makeInputs: () => [randomTensor([M, K]), randomTensor([K, N])],
    flops: { forward: flops, backward: 0 },
    reps,
    warmup: 1,
  };
}

export const matmulFamily: Family = {
  name: 'matmul',
  workModel: 'GFLOP/s = 2 M N K / time',
  cases: (quick) => {
    const square = quick ? [256, 1024] : SQUARE;
    const rectangular = quick ? RECTANGULAR.slice(0, 2) : [...RECTANGULAR, ...VECTOR];
    return [...square.map((n) => matmulCase(n, n, n, quick)), ...rectangular.map(([m, k, n]) => matmulCase(m, k, n, quick))];
  },
  check: async (variant: KernelVariant) => {
    // Tune before timing, so that no run waits for the background autotune.
    if (matmulTuningMode() === 'auto' && !tilingReported) {
      const t = await tuneMatmul();
      console.log(`matmul tiling: ${t.lanes} lanes, ${t.rows} rows, ${t.cols} vec4 columns ` +
        `(autotune: ${t.gflops.toFixed(1)} GFLOP/s, default tiling ${t.defaultGflops.toFixed(1)})`);
      tilingReported = true;
    }
    // Awkward sizes: none is a multiple of 4 or of a tile.
    const [M, K, N] = [19, 37, 23];
    const a = randomArray(M * K, -1, 1, 11);
    const b = randomArray(K * N, -1, 1, 12);
    const out = variant.run([tensor(a, { shape: [M, K] }), tensor(b, { shape: [K, N] })]);
    // 37-term f32 dot products of values in [-1, 1]: error below 37 * 6e-8 * 1. Variants
    // named *-f16 round each product to f16 (3 roundings of 2^-11): below 37 * 3.01 * 2^-11.
    const atol = variant.name.endsWith('-f16') ? K * 3.01 * 2 ** -11 : 1e-5;
    return compareArrays(`${variant.name} ${M}x${K}x${N}`, await out.data(), matmulReference(a, b, M, K, N), 1e-5, atol);
  },
};

registerVariant({
  family: 'matmul',
  name: 'matmul',
  description: 'library matmul (src/ops/matmul.ts)',
  run: ([a, b]) => matmul(a, b),
});
