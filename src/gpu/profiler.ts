// Per-op GPU time of one step, for kernel developers.
//
// While a step is profiled, every dispatch gets its own compute pass with timestamp
// writes at its start and end, and the query set is resolved before each submit.
// Separate passes add a little time per dispatch on some adapters, so a profiled step
// runs slightly slower than an unprofiled one: use the breakdown for where the time
// goes, and an unprofiled run for the step time itself.

import { gpu } from './device.js';
import { dispatchCount, flush, runtime, setDispatchObserver, submitCount, sync, type DispatchObserver } from './runtime.js';

const QUERY_RESOLVE = 0x200;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;
const MAP_READ = 0x01;

export interface OpTime {
  /** The op's label, or its shader's name when the op gives no label. */
  name: string;
  calls: number;
  gpuMs: number;
}

export interface StepProfile {
  /** 'unavailable' when the adapter lacks 'timestamp-query'; GPU times are then 0. */
  timing: 'gpu-timestamp' | 'unavailable';
  /** Sum of the timed dispatches' GPU times. */
  gpuMs: number;
  /** CPU time until the step function returned (for an async step, including its awaits). */
  recordMs: number;
  /** CPU time from the start of the step until the GPU finished it. */
  wallMs: number;
  dispatches: number;
  submits: number;
  /** Dispatches past `maxDispatches`, recorded in untimed passes and left out of `gpuMs` and `byOp`. */
  untimed: number;
  /** Ops sorted by GPU time, longest first. */
  byOp: OpTime[];
}

export interface ProfileOptions {
  /** Most dispatches timed in one step (default 8192); later ones are counted as untimed. */
  maxDispatches?: number;
}

/** Dispatches per query set: WebGPU allows at most 4096 queries in one set, two per dispatch. */
const SET_DISPATCHES = 2048;

export class TimestampRecorder implements DispatchObserver {
  readonly names: string[] = [];
  untimed = 0;
  private sets: GPUQuerySet[] = [];
  private resolved: GPUBuffer[] = [];

  constructor(
    private device: GPUDevice,
    private capacity: number,
  ) {}

  /** The last timed pass while it is still open, so that no untimed dispatch lands in it. */
  private timedPass: GPUComputePassEncoder | null = null;

  passFor(encoder: GPUCommandEncoder, current: GPUComputePassEncoder | null, name: string): GPUComputePassEncoder {
    if (this.names.length >= this.capacity) {
      this.untimed++;
      if (current !== null && current !== this.timedPass) return current;
      current?.end();
      this.timedPass = null;
      return encoder.beginComputePass();
    }
    current?.end();
    const index = this.names.length;
    const set = Math.floor(index / SET_DISPATCHES);
    if (set === this.sets.length) {
      this.sets.push(this.device.createQuerySet({ type: 'timestamp', count: 2 * SET_DISPATCHES, label: 'profiler' }));
      this.resolved.push(this.device.createBuffer({ size: 16 * SET_DISPATCHES, usage: QUERY_RESOLVE | COPY_SRC, label: 'profiler' }));
    }
    this.names.push(name);
    const local = index - set * SET_DISPATCHES;
    this.timedPass = encoder.beginComputePass({
      timestampWrites: { querySet: this.sets[set], beginningOfPassWriteIndex: 2 * local, endOfPassWriteIndex: 2 * local + 1 },
    });
    return this.timedPass;
  }

  beforeFinish(encoder: GPUCommandEncoder): void {
    // resolveQuerySet needs a destination offset that is a multiple of 256, so every
    // submit resolves all queries written so far. Earlier values stay in their set.
    this.sets.forEach((set, i) => {
      const used = Math.min(SET_DISPATCHES, this.names.length - i * SET_DISPATCHES);
      encoder.resolveQuerySet(set, 0, 2 * used, this.resolved[i], 0);
    });
  }

  /** Returns each timed dispatch's GPU time in ms, in recording order. */
  async read(): Promise<number[]> {
    const count = this.names.length;
    if (count === 0) return [];
    const staging = this.device.createBuffer({ size: 16 * count, usage: MAP_READ | COPY_DST, label: 'profiler read' });
    const encoder = this.device.createCommandEncoder();
    this.resolved.forEach((buffer, i) => {
      const used = Math.min(SET_DISPATCHES, count - i * SET_DISPATCHES);
      encoder.copyBufferToBuffer(buffer, 0, staging, 16 * i * SET_DISPATCHES, 16 * used);
    });
    this.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(MAP_READ);
    const ticks = new BigInt64Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();
    const ms: number[] = [];
    for (let i = 0; i < count; i++) ms.push(Math.max(0, Number(ticks[2 * i + 1] - ticks[2 * i])) / 1e6);
    return ms;
  }

  destroy(): void {
    for (const set of this.sets) set.destroy();
    for (const buffer of this.resolved) buffer.destroy();
  }
}

/**
 * Runs `step` once with every dispatch timed on the GPU and returns the time per op.
 * Pending work is finished first, so the profile holds only the step's dispatches.
 */
export async function profileStep(step: () => unknown, options: ProfileOptions = {}): Promise<StepProfile> {
  const capacity = options.maxDispatches ?? 8192;
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new Error(`profileStep: maxDispatches must be a positive integer, got ${capacity}`);
  }
  if (profiling) {
    throw new Error('profileStep: another profileStep is still running; profile one step at a time (await the first before starting the next)');
  }
  profiling = true;
  try {
    return await profileOnce(step, capacity);
  } finally {
    profiling = false;
  }
}

/** True while a profileStep call runs: the runtime has one dispatch observer. */
let profiling = false;

async function profileOnce(step: () => unknown, capacity: number): Promise<StepProfile> {
  await sync();
  const { device, hasTimestamps } = gpu();
  runtime();
  const recorder = hasTimestamps ? new TimestampRecorder(device, capacity) : null;
  const dispatchesBefore = dispatchCount();
  const submitsBefore = submitCount();

  setDispatchObserver(recorder);
  const start = performance.now();
  let recordMs: number;
  try {
    await step();
    recordMs = performance.now() - start;
    flush();
  } catch (error) {
    // Submit what the step recorded (its passes write the query sets) before they go.
    try {
      flush();
    } finally {
      setDispatchObserver(null);
      recorder?.destroy();
    }
    throw error;
  } finally {
    setDispatchObserver(null);
  }
  await sync();
  const wallMs = performance.now() - start;
  const dispatches = dispatchCount() - dispatchesBefore;
  const submits = submitCount() - submitsBefore;

  if (recorder === null) {
    return { timing: 'unavailable', gpuMs: 0, recordMs, wallMs, dispatches, submits, untimed: dispatches, byOp: [] };
  }
  const times = await recorder.read();
  recorder.destroy();
  const byName = new Map<string, OpTime>();
  times.forEach((ms, i) => {
    const name = recorder.names[i];
    const entry = byName.get(name) ?? { name, calls: 0, gpuMs: 0 };
    entry.calls++;
    entry.gpuMs += ms;
    byName.set(name, entry);
  });
  const byOp = [...byName.values()].sort((a, b) => b.gpuMs - a.gpuMs);
  const gpuMs = times.reduce((sum, ms) => sum + ms, 0);
  return { timing: 'gpu-timestamp', gpuMs, recordMs, wallMs, dispatches, submits, untimed: recorder.untimed, byOp };
}

/** Formats a profile as a text table of the `top` longest ops. */
export function formatProfile(profile: StepProfile, top = 12): string {
  const lines = [
    `step: ${count(profile.dispatches, 'dispatch', 'dispatches')}, ${count(profile.submits, 'submit', 'submits')}, record ${profile.recordMs.toFixed(2)} ms, ` +
      `wall ${profile.wallMs.toFixed(2)} ms, GPU ${profile.timing === 'gpu-timestamp' ? profile.gpuMs.toFixed(2) + ' ms' : 'unavailable'}`,
  ];
  for (const op of profile.byOp.slice(0, top)) {
    const share = profile.gpuMs > 0 ? (100 * op.gpuMs) / profile.gpuMs : 0;
    lines.push(`  ${op.name.padEnd(28)} ${String(op.calls).padStart(5)} calls ${op.gpuMs.toFixed(3).padStart(10)} ms ${share.toFixed(1).padStart(5)}%`);
  }
  return lines.join('\n');
}

function count(n: number, singular: string, plural: string): string {
  return `${n} ${n === 1 ? singular : plural}`;
}
