// The contract between the peer benchmark and each library it times (talkgrad,
// TensorFlow.js, ONNX Runtime Web), and the one timing loop they all share.

import { summarize, type Summary } from '../timer.js';

export type OpKind = 'matmul' | 'attention' | 'layerNorm' | 'softmax' | 'crossEntropy';
export type PeerPass = 'forward' | 'forward+backward';

export interface HostTensor {
  shape: number[];
  values: Float32Array | Int32Array;
}

/** One op on one shape, with the input values every library receives. */
export interface PeerCase {
  op: OpKind;
  label: string;
  /** In the op's order: matmul [a, b]; attention [q, k, v] as [batch, heads, tokens, headDim];
   * layerNorm [x, weight, bias]; softmax [x]; crossEntropy [logits, int32 targets]. */
  inputs: HostTensor[];
  /** Gradient of the output for the forward+backward pass. */
  dy: HostTensor;
  passes: PeerPass[];
  /** Work of one run per pass, for GFLOP/s (matmul, attention) or GB/s (row ops). */
  flops?: Record<PeerPass, number>;
  bytes?: Record<PeerPass, number>;
  warmup: number;
  reps: number;
}

/** One pass of one case, set up on one library's device. */
export interface PreparedRun {
  /** Records the work, submits it and resolves when the library's queue has finished it. */
  once: () => Promise<void>;
  /** Runs once more and reads back the outputs: the op's output, or the float inputs' gradients for forward+backward. */
  outputs: () => Promise<Float32Array[]>;
  /** GPU time of one run from the library's own timestamp queries, when it has them. */
  gpuTimeMs?: () => Promise<number | null>;
  dispose: () => void;
}

export interface Peer {
  name: string;
  version: string;
  /** Throws with the reason when the library cannot run this op or pass. */
  prepare: (c: PeerCase, pass: PeerPass) => Promise<PreparedRun>;
}

export interface Timing extends Summary {
  ms: number[];
}

/**
 * Times `once` warmup + reps times on the wall clock. Each run waits for the previous
 * one to complete, so a figure is recording + submit + GPU time + the completion wait.
 */
export async function timeWall(run: PreparedRun, warmup: number, reps: number): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await run.once();
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    await run.once();
    ms.push(performance.now() - start);
  }
  return { ...summarize(ms), ms };
}

/** Returns max |actual - expected| and max |expected|. The difference is NaN when the lengths differ. */
export function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): { diff: number; scale: number } {
  if (actual.length !== expected.length) return { diff: Number.NaN, scale: 0 };
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    // NaN in the output must fail the check, so it is kept rather than skipped by Math.max.
    diff = Number.isNaN(d) || d > diff ? d : diff;
    if (Number.isNaN(diff)) break;
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return { diff, scale };
}

/** Reads a GPU buffer of f32 values through a staging buffer. */
export async function readF32(device: GPUDevice, buffer: GPUBuffer, count: number): Promise<Float32Array> {
  const staging = device.createBuffer({ size: count * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, 0, staging, 0, count * 4);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const values = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  return values;
}

export function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
