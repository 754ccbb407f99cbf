// Times the GPU work that one call of an op records.
//
// With 'timestamp-query' the bench opens the runtime's compute pass itself, with
// timestampWrites at the start and end of the pass, so the figure is the GPU time
// of every dispatch the op records and nothing else. Without the feature it falls
// back to wall time from recording to `onSubmittedWorkDone`, which also counts
// recording, submit and the wait.

import { gpu } from '../src/gpu/device.js';
import { flush, runtime, sync } from '../src/gpu/runtime.js';
import { tidy } from '../src/tensor/scope.js';

export type TimingMethod = 'gpu-timestamp' | 'wall';

const QUERY_RESOLVE = 0x200;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;
const MAP_READ = 0x01;

export interface TimerOptions {
  warmup: number;
  reps: number;
  /** Force wall-clock timing even where timestamps exist. */
  wall?: boolean;
}

/** Runs `record` warmup + reps times and returns the method and the rep times in ms. */
export async function timeOp(record: () => void, options: TimerOptions): Promise<{ method: TimingMethod; ms: number[] }> {
  const useTimestamps = gpu().hasTimestamps && options.wall !== true;
  const once = useTimestamps ? timestampOnce : wallOnce;
  for (let i = 0; i < options.warmup; i++) await once(record);

  const ms: number[] = [];
  for (let i = 0; i < options.reps; i++) {
    const t = await once(record);
    if (t === null) return { method: 'wall', ms: await wallRuns(record, options.reps) };
    ms.push(t);
  }
  return { method: useTimestamps ? 'gpu-timestamp' : 'wall', ms };
}

async function wallRuns(record: () => void, reps: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) ms.push(await wallOnce(record));
  return ms;
}

async function wallOnce(record: () => void): Promise<number> {
  await sync();
  const start = performance.now();
  tidy(record);
  await sync();
  return performance.now() - start;
}

/**
 * Returns the GPU time of one call in ms, or null when the op split its work over
 * more than the one timed pass (a buffer copy or an intermediate submit), which
 * this method cannot time.
 */
async function timestampOnce(record: () => void): Promise<number | null> {
  const device = gpu().device;
  const state = runtime();
  flush();
  const querySet = device.createQuerySet({ type: 'timestamp', count: 2 });
  const resolve = device.createBuffer({ size: 16, usage: QUERY_RESOLVE | COPY_SRC });
  const staging = device.createBuffer({ size: 16, usage: MAP_READ | COPY_DST });

  // NOTE: this fills the runtime's open encoder and pass (see src/gpu/runtime.ts);
  // its dispatch() records into a pass that is already open.
  state.encoder = device.createCommandEncoder();
  const pass = state.encoder.beginComputePass({
    timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 },
  });
  state.pass = pass;
  const submitsBefore = state.submits;
  tidy(record);
  const onePass = state.pass === pass && state.submits === submitsBefore;
  flush();

  const encoder = device.createCommandEncoder();
  encoder.resolveQuerySet(querySet, 0, 2, resolve, 0);
  encoder.copyBufferToBuffer(resolve, 0, staging, 0, 16);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(MAP_READ);
  const [begin, end] = new BigInt64Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  resolve.destroy();
  querySet.destroy();
  return onePass ? Number(end - begin) / 1e6 : null;
}

export interface Summary {
  medianMs: number;
  minMs: number;
  maxMs: number;
  q1Ms: number;
  q3Ms: number;
}

/** Median, min, max and quartiles (linear interpolation between order statistics). */
export function summarize(ms: number[]): Summary {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => {
    const pos = q * (sorted.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
  };
  return { medianMs: at(0.5), minMs: sorted[0], maxMs: sorted[sorted.length - 1], q1Ms: at(0.25), q3Ms: at(0.75) };
}
