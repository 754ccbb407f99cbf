// Soak test: 2,000 steps of the TD training loop (tiny staged models, Adam, dropout
// in the communication modules, loss averages read every 100 steps). After warm-up,
// the live tensor count, live bytes and pooled bytes must not change, and the
// JavaScript heap must stay within a small bound.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { memory, type MemoryInfo } from '../../src/index.js';
import type { DistillConfig } from '../../src/td/config.js';
import { createDistiller } from '../../src/td/distiller.js';
import { adam, tinyBatch, tinyPair } from '../td/fixtures.js';

const STEPS = 2000;
const SAMPLE_EVERY = 100;
/** Samples up to this step are warm-up: the pool and the optimizer state fill up. */
const WARM_UP = 200;
/**
 * Heap growth allowed from the warm-up sample to the last one: about 1 KiB per step
 * over the 1,800 steps after warm-up. Samples taken after gc() vary by about 0.5 MiB
 * here, and a leaked graph (tensors, grad nodes, closures) per step is larger than 1 KiB.
 */
const HEAP_BOUND_BYTES = 2 * 1024 * 1024;

/** Returns V8's gc(); Node exposes it only with --expose-gc, which can be set at run time. */
function exposeGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing !== undefined) return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

interface Sample extends MemoryInfo {
  step: number;
  heapUsed: number;
}

describe('soak', () => {
  it('td loop 2000 steps', async () => {
    const gc = exposeGc();
    const { teacher, student } = tinyPair();
    // One interaction round with noise and dropout uses all four communication modules.
    // The consistency losses are off: they add 140 dispatches per step (357 instead of
    // 217) and no new code path for leaks, and on lavapipe each dispatch costs about 0.1 ms.
    const config: Partial<DistillConfig> = {
      method: 'td', rounds: 1, wSC: 0, wMC: 0, messageDim: 5, hiddenDim: 8, dropout: 0.2, noiseStd: 0.1, seed: 7,
    };
    const distiller = createDistiller({ teacher, student, task: 'regression', optimizer: adam, config });
    const batches = Array.from({ length: 7 }, (_, i) => tinyBatch(5, 500 + i));
    const samples: Sample[] = [];
    const started = performance.now();

    for (let step = 1; step <= STEPS; step++) {
      await distiller.step(batches[step % batches.length]);
      if (step % SAMPLE_EVERY !== 0) continue;
      const averages = await distiller.lossAverages();
      expect(Number.isFinite(averages.total), `loss at step ${step}`).toBe(true);
      gc();
      samples.push({ step, ...memory(), heapUsed: process.memoryUsage().heapUsed });
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `soak: ${STEPS} td steps in ${seconds.toFixed(1)} s; samples (step: tensors, bytes, pooled, heap MB):\n` +
        samples.map((s) => `  ${s.step}: ${s.liveTensors}, ${s.liveBytes}, ${s.pooledBytes}, ${(s.heapUsed / 2 ** 20).toFixed(2)}`).join('\n'),
    );

    const reference = samples.find((s) => s.step === WARM_UP)!;
    for (const s of samples.filter((x) => x.step > WARM_UP)) {
      expect(s.liveTensors, `live tensors at step ${s.step}`).toBe(reference.liveTensors);
      expect(s.liveBytes, `live bytes at step ${s.step}`).toBe(reference.liveBytes);
      expect(s.pooledBytes, `pooled bytes at step ${s.step}`).toBeLessThanOrEqual(reference.pooledBytes);
    }
    const last = samples[samples.length - 1];
    expect(last.heapUsed - reference.heapUsed, 'heap growth after warm-up in bytes').toBeLessThan(HEAP_BOUND_BYTES);
    distiller.dispose();
  });
});
