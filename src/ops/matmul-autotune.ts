// Autotune of the row-broadcast matmul tiling: times a few tilings of
// shaders/matmul.wgsl on one product and keeps the fastest for this adapter.
//
// Each tiling runs once to warm up and 3 times timed on a 512 x 256 x 512 product,
// and counts with its fastest run. That product is 134 MFLOP: 10 to 20 ms a run on
// lavapipe with 2 CPU cores, and by estimate well under 1 ms on a discrete GPU. Timing uses GPU
// timestamps where the device has them, else the wall clock from submit to
// onSubmittedWorkDone. Measuring stops after `budgetMs` (default 3 s), so a slow
// adapter tries fewer tilings, but one pipeline compile can exceed it (up to seconds
// on llvmpipe). The default tiling is measured first. The fastest tiling and the
// default are then timed again, alternating, and the default is replaced only by a
// tiling at least 25% faster, so load from other processes rarely switches it. The
// tuner records into its own command encoder and never touches the runtime's
// pending pass.

import { gpu } from '../gpu/device.js';
import { getPipeline, settleCompileChecks } from '../gpu/pipelines.js';
import { Rng } from '../util/rng.js';
import { rowKernelDispatch, type MatmulLaunch } from './matmul.js';
import {
  defaultLanes,
  matmulAdapterKey,
  matmulTuningMode,
  matmulTuningStore,
  rememberTunedTiling,
  tunedMatmulTiling,
  type MatmulTiling,
  type TunedTiling,
} from './matmul-tuning.js';

export interface TuneOptions {
  /** Time after which no further tiling is tried, in ms. */
  budgetMs?: number;
  /** Measure again even when a tiling is cached in memory or in the store. */
  force?: boolean;
}

const SHAPE = { M: 512, K: 256, N: 512 };
const TIMED_RUNS = 3;
/**
 * A candidate replaces the default only when its time is below this fraction of the
 * default's. The tuning shape stands for all shapes: on lavapipe a 16-lane tiling won
 * it by about 15% and then ran 4096 x 256 x 64 and 2176 x 64 x 192 30% slower.
 */
const MIN_GAIN = 0.75;

const STORAGE = 0x80;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;
const MAP_READ = 0x01;
const QUERY_RESOLVE = 0x200;
const UNIFORM = 0x40;

const running = new Map<string, Promise<TunedTiling>>();
let lastError: string | null = null;

/** Returns the error of the last background tuning that failed, or null. */
export function matmulTuningError(): string | null {
  return lastError;
}

/**
 * Starts tuning in the background when tuning is 'auto' and this adapter has no tuned
 * tiling yet. matmul calls it on every launch; it returns at once.
 */
export function startMatmulTuning(): void {
  if (matmulTuningMode() === 'off' || tunedMatmulTiling() !== undefined) return;
  if (running.has(matmulAdapterKey())) return;
  tuneMatmul().catch((error: Error) => {
    lastError = `matmul autotune failed, using the default tiling: ${error.message}`;
  });
}

/**
 * Returns the tuned tiling of the current adapter: from memory, else from the store,
 * else measured now (a few seconds at most). Works with tuning 'off' too, but matmul
 * uses the result only while tuning is 'auto'.
 */
export async function tuneMatmul(options: TuneOptions = {}): Promise<TunedTiling> {
  const budget = options.budgetMs;
  if (budget !== undefined && !(typeof budget === 'number' && budget >= 0 && Number.isFinite(budget))) {
    throw new Error(`tuneMatmul: budgetMs must be a finite number of milliseconds >= 0, got ${String(budget)}`);
  }
  const key = matmulAdapterKey();
  // A tuning already running is awaited as it is, even with other options.
  const inFlight = running.get(key);
  if (inFlight !== undefined) return inFlight;
  const task = findOrMeasure(key, options).finally(() => running.delete(key));
  running.set(key, task);
  return task;
}

async function findOrMeasure(key: string, options: TuneOptions): Promise<TunedTiling> {
  if (options.force !== true) {
    const known = tunedMatmulTiling();
    if (known !== undefined) return known;
    const stored = await matmulTuningStore()?.load(key);
    // A hand-edited entry could exceed the device's workgroup limits; measure again then.
    const { limits } = gpu();
    const fits = stored !== undefined && stored.lanes <= limits.maxComputeInvocationsPerWorkgroup && stored.lanes <= limits.maxComputeWorkgroupSizeX;
    if (stored !== undefined && fits) {
      rememberTunedTiling(key, stored);
      return stored;
    }
  }
  const tiling = await measure(options.budgetMs ?? 3000);
  rememberTunedTiling(key, tiling);
  await matmulTuningStore()?.save(key, tiling);
  return tiling;
}

/**
 * Rows x vec4 columns per thread to try with one subgroup of threads and then with two.
 * At most 64 accumulators per thread: on llvmpipe 8 x 4 compiled for up to 24 s and
 * was not faster.
 */
const BLOCKS: [number, number][] = [[8, 2], [4, 2], [8, 1], [4, 4], [4, 1]];

/** Tilings to try, the default (first block, one subgroup) first. */
export function tuningCandidates(): MatmulTiling[] {
  const { limits } = gpu();
  const lanes = defaultLanes();
  const laneOptions = [lanes, lanes * 2].filter((l) => l <= limits.maxComputeInvocationsPerWorkgroup && l <= limits.maxComputeWorkgroupSizeX);
  return laneOptions.flatMap((l) => BLOCKS.map(([rows, cols]) => ({ lanes: l, rows, cols })));
}

async function measure(budgetMs: number): Promise<TunedTiling> {
  const { device } = gpu();
  const { M, K, N } = SHAPE;
  const a = randomBuffer(M * K, 1);
  const b = randomBuffer(K * N, 2);
  const out = device.createBuffer({ size: M * N * 4, usage: STORAGE | COPY_SRC, label: 'matmul autotune output' });
  const launch: MatmulLaunch = {
    A: { buffer: a, row: K, col: 1, batch: 0 },
    B: { buffer: b, row: N, col: 1, batch: 0 },
    out, M, N, K, batch: 1, bias: undefined, activation: 'none', precision: 'f32',
  };
  const start = performance.now();
  const results: { tiling: MatmulTiling; ms: number }[] = [];
  try {
    for (const tiling of tuningCandidates()) {
      if (results.length > 0 && performance.now() - start > budgetMs) break;
      const ms = await timeTiling(launch, tiling);
      if (ms !== null) results.push({ tiling, ms });
    }
    if (results.length === 0) throw new Error('matmul autotune: no candidate tiling of shaders/matmul.wgsl compiled; see the WGSL errors reported before this one');
    return await choose(launch, results);
  } finally {
    for (const buffer of [a, b, out]) buffer.destroy();
  }
}

/** Picks the fastest result, confirmed against the default (results[0]). */
async function choose(launch: MatmulLaunch, results: { tiling: MatmulTiling; ms: number }[]): Promise<TunedTiling> {
  const { M, K, N } = launch;
  const flops = 2 * M * N * K;
  const fallback = results[0];
  let best = fallback;
  for (const r of results) if (r.ms < best.ms) best = r;
  if (best !== fallback) {
    // Time the winner and the default once more, one after the other, so that a burst of
    // load during the first pass cannot pick a slower tiling.
    const again = await confirm(launch, best.tiling, fallback.tiling);
    best = { tiling: best.tiling, ms: Math.min(best.ms, again[0]) };
    fallback.ms = Math.min(fallback.ms, again[1]);
  }
  if (best.ms > fallback.ms * MIN_GAIN) best = fallback;
  return {
    ...best.tiling,
    gflops: flops / best.ms / 1e6,
    defaultGflops: flops / fallback.ms / 1e6,
    measuredAt: new Date().toISOString(),
  };
}

/** Times two tilings again, alternating, and returns the fastest run of each. */
async function confirm(launch: MatmulLaunch, first: MatmulTiling, second: MatmulTiling): Promise<[number, number]> {
  let [a, b] = [Infinity, Infinity];
  for (let round = 0; round < 2; round++) {
    a = Math.min(a, (await timeTiling(launch, first)) ?? Infinity);
    b = Math.min(b, (await timeTiling(launch, second)) ?? Infinity);
  }
  return [a, b];
}

/**
 * Fastest of TIMED_RUNS runs of one tiling in ms, or null when its pipeline does not
 * compile. The minimum, because other work on a shared machine only slows runs down.
 */
async function timeTiling(launch: MatmulLaunch, tiling: MatmulTiling): Promise<number | null> {
  const { device, hasTimestamps } = gpu();
  const spec = rowKernelDispatch(launch, tiling);
  let compileError: string | null = null;
  const { pipeline } = getPipeline(device, spec.shader, spec.defines ?? {}, (message) => {
    compileError = message;
  });
  await settleCompileChecks();
  if (compileError !== null) return null;

  const uniform = device.createBuffer({ size: Math.max(256, spec.params?.byteLength ?? 0), usage: UNIFORM | COPY_DST });
  device.queue.writeBuffer(uniform, 0, spec.params as ArrayBuffer);
  const entries: GPUBindGroupEntry[] = spec.buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
  entries.push({ binding: entries.length, resource: { buffer: uniform } });
  const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
  const [x, y = 1, z = 1] = spec.workgroups;

  const record = (pass: GPUComputePassEncoder): void => {
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    pass.end();
  };
  const ms: number[] = [];
  try {
    for (let run = 0; run <= TIMED_RUNS; run++) {
      const t = hasTimestamps ? await timestampRun(record) : await wallRun(record);
      if (run > 0) ms.push(t);
    }
  } finally {
    uniform.destroy();
  }
  return Math.min(...ms);
}

async function wallRun(record: (pass: GPUComputePassEncoder) => void): Promise<number> {
  const { device } = gpu();
  const encoder = device.createCommandEncoder();
  record(encoder.beginComputePass());
  const start = performance.now();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
  return performance.now() - start;
}

async function timestampRun(record: (pass: GPUComputePassEncoder) => void): Promise<number> {
  const { device } = gpu();
  const querySet = device.createQuerySet({ type: 'timestamp', count: 2 });
  const resolve = device.createBuffer({ size: 16, usage: QUERY_RESOLVE | COPY_SRC });
  const staging = device.createBuffer({ size: 16, usage: MAP_READ | COPY_DST });
  try {
    const encoder = device.createCommandEncoder();
    record(encoder.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } }));
    encoder.resolveQuerySet(querySet, 0, 2, resolve, 0);
    encoder.copyBufferToBuffer(resolve, 0, staging, 0, 16);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(MAP_READ);
    const [begin, end] = new BigUint64Array(staging.getMappedRange().slice(0));
    staging.unmap();
    return Number(end - begin) / 1e6;
  } finally {
    querySet.destroy();
    resolve.destroy();
    staging.destroy();
  }
}

/** Creates a storage buffer of `n` seeded random floats in [-1, 1). */
function randomBuffer(n: number, seed: number): GPUBuffer {
  const rng = new Rng(seed);
  const values = Float32Array.from({ length: n }, () => 2 * rng.uniform() - 1);
  const buffer = gpu().device.createBuffer({ size: n * 4, usage: STORAGE | COPY_DST, label: 'matmul autotune input' });
  gpu().device.queue.writeBuffer(buffer, 0, values);
  return buffer;
}
