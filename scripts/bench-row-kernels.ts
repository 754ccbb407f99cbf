// Times the row kernels (layerNorm, softmax, crossEntropy, sum) on short and long rows.
// Wall time from recording to `sync()`, median of REPS runs after WARMUP runs, so the
// figures include recording and submit and depend on the machine's load.
// Run: npx tsx scripts/bench-row-kernels.ts

import { crossEntropy, init, layerNorm, softmax, sum, sync, tensor, tidy, type Tensor } from '../src/index.js';
import { Rng } from '../src/util/rng.js';

const WARMUP = 2;
const REPS = 7;

function randomTensor(rng: Rng, shape: number[], requiresGrad = false): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length: size }, () => rng.normal());
  return tensor(values, { shape }).requiresGrad_(requiresGrad);
}

async function median(run: () => void): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < WARMUP + REPS; i++) {
    const start = performance.now();
    tidy(run);
    await sync();
    if (i >= WARMUP) times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

async function main(): Promise<void> {
  await init();
  const rng = new Rng(7);
  const cases: [string, () => void][] = [];

  for (const shape of [[1088, 32], [4096, 256]]) {
    const x = randomTensor(rng, shape, true);
    const w = randomTensor(rng, [shape[1]], true);
    const b = randomTensor(rng, [shape[1]], true);
    const dy = randomTensor(rng, shape);
    cases.push([`layerNorm forward [${shape}]`, () => { layerNorm(x, w, b); }]);
    cases.push([`layerNorm forward+backward [${shape}]`, () => {
      layerNorm(x, w, b).backward(dy);
      for (const t of [x, w, b]) t.zeroGrad();
    }]);
  }
  for (const shape of [[1088, 17], [64 * 4 * 17, 17]]) {
    const x = randomTensor(rng, shape);
    cases.push([`softmax [${shape}]`, () => { softmax(x); }]);
  }
  for (const shape of [[64, 5], [4096, 1000]]) {
    const x = randomTensor(rng, shape);
    const targets = tensor(Int32Array.from({ length: shape[0] }, () => rng.int(shape[1])));
    cases.push([`crossEntropy [${shape}]`, () => { crossEntropy(x, targets); }]);
  }
  const s = randomTensor(rng, [1088, 32]);
  cases.push(['sum [1088,32] dim 0', () => { sum(s, 0); }]);
  cases.push(['sum [1088,32] dim 1', () => { sum(s, 1); }]);

  for (const [name, run] of cases) {
    console.log(`${name.padEnd(40)} ${(await median(run)).toFixed(2)} ms`);
  }
}

await main();
