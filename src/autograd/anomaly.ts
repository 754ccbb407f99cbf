// Anomaly detection (setDetectAnomaly): finds the first op whose output contains a
// NaN or an Inf, without a GPU round trip per op.
//
// Every new float32 op output gets a sequence number and a CPU record (op name,
// shape, phase). A small kernel (shaders/anomaly.wgsl) scans the output and keeps
// the smallest sequence number of an offending tensor with atomicMin in a two-word
// flags buffer. The scan is recorded when the producing op calls `record` (every op
// does, with or without grad mode) or, at the latest, before the next submit. The
// next read (`data()`, `item()`, ...) also reads the flags and throws an error that
// names the op.
//
// NOTE: an op that allocated an output, then ran another op, and only then wrote the
// output would have that output scanned before it is written. No op in src/ops
// does this today.

import { gpu } from '../gpu/device.js';
import { STORAGE_USAGE } from '../gpu/buffer-pool.js';
import { dispatch, grid, onBeforeSubmit, packParams, readBuffer } from '../gpu/runtime.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

/** Flag value meaning "no offending tensor"; sequence numbers stay below it. */
const NONE = 0xffffffff;

interface Watched {
  tensor: Tensor;
  buffer: GPUBuffer;
  device: GPUDevice;
  size: number;
  seq: number;
}

interface OpRecord {
  op: string;
  shape: readonly number[];
  /** 'forward', 'backward', 'backward of <op>' or 'in-place update'. */
  phase: string;
}

let pending: Watched[] = [];
const records = new Map<number, OpRecord>();
/** Sequence number of the next watched output, counted from the last reset. */
let nextSeq = 0;
/** Outputs numbered before the last reset, so error messages count from the start. */
let seqBase = 0;
/** Value of seqBase + nextSeq when detection was last turned on; "op #1" is the first output after it. */
let numberingStart = 0;
let checksSinceRead = 0;
let flags: { device: GPUDevice; buffer: GPUBuffer } | null = null;
let currentPhase = 'forward';

function flagsBuffer(device: GPUDevice): GPUBuffer {
  if (flags === null || flags.device !== device) {
    const buffer = device.createBuffer({ size: 8, usage: STORAGE_USAGE, label: 'anomaly flags' });
    device.queue.writeBuffer(buffer, 0, new Uint32Array([NONE, NONE]));
    flags = { device, buffer };
  }
  return flags.buffer;
}

/** Restarts the "op #N" numbering of error messages; called when detection is turned on. */
export function restartAnomalyNumbering(): void {
  numberingStart = seqBase + nextSeq;
}

/** Runs `fn` with its new outputs labeled with `phase` (e.g. 'backward of log') in anomaly messages. */
export function inPhase<T>(phase: string, fn: () => T): T {
  const previous = currentPhase;
  currentPhase = phase;
  try {
    return fn();
  } finally {
    currentPhase = previous;
  }
}

function watch(tensor: Tensor, buffer: GPUBuffer, phase: string): void {
  if (tensor.size === 0 || nextSeq >= NONE) return;
  const seq = nextSeq++;
  records.set(seq, { op: tensor.op, shape: tensor.shape, phase });
  pending.push({ tensor, buffer, device: gpu().device, size: tensor.size, seq });
}

/** Queues a new float32 op output for the NaN/Inf scan; called by the Tensor constructor when detection is on. */
export function watchOutput(tensor: Tensor, buffer: GPUBuffer): void {
  watch(tensor, buffer, currentPhase);
}

/** Queues a scan of a tensor that `op` has just overwritten in place (optimizer updates). */
export function watchInPlace(tensor: Tensor, op: string): void {
  if (tensor.size === 0 || nextSeq >= NONE) return;
  const seq = nextSeq++;
  records.set(seq, { op, shape: tensor.shape, phase: 'in-place update' });
  pending.push({ tensor, buffer: tensor.buffer, device: gpu().device, size: tensor.size, seq });
}

/** Drops the scan of an output whose values came from the CPU (tensor(), full()), where NaN and Inf are deliberate. */
export function ignoreOutput(tensor: Tensor): void {
  const index = pending.findIndex((w) => w.tensor === tensor);
  if (index < 0) return;
  const seq = pending[index].seq;
  records.delete(seq);
  pending.splice(index, 1);
  // Gives the number back, so "op #N" counts scanned outputs only.
  if (seq === nextSeq - 1) nextSeq--;
}

/**
 * Records the scans of the queued outputs. With `onlyDisposed`, outputs that are
 * still alive wait, because an automatic submit may come in the middle of the op
 * that writes them. A disposed output is complete, and its buffer is recycled after
 * the submit, so it is scanned now.
 */
export function recordAnomalyChecks(onlyDisposed = false): void {
  if (pending.length === 0) return;
  const device = gpu().device;
  const waiting: Watched[] = [];
  for (const w of pending) {
    if (w.device !== device) continue;
    if (onlyDisposed && !w.tensor.isDisposed) {
      waiting.push(w);
      continue;
    }
    dispatch({
      shader: 'anomaly',
      buffers: [w.buffer, flagsBuffer(device)],
      params: packParams([['u32', w.size], ['u32', w.seq]]),
      workgroups: grid(w.size, 256),
      noAutoSubmit: true,
    });
    checksSinceRead++;
  }
  pending = waiting;
}

onBeforeSubmit((automatic) => recordAnomalyChecks(automatic));

/** Returns whether scans were recorded or queued since the last flags read. */
export function hasUnreadAnomalyChecks(): boolean {
  return checksSinceRead > 0 || pending.length > 0;
}

/**
 * Reads the anomaly flags (one 8-byte read) and throws an error naming the first op
 * whose output had a NaN or an Inf since the last read. Resolves when there was none.
 */
export async function checkAnomalies(): Promise<void> {
  if (!hasUnreadAnomalyChecks()) return;
  const device = gpu().device;
  const buffer = flagsBuffer(device);
  // readBuffer submits, and the submit records every queued scan first.
  const read = readBuffer(buffer, 8, 'anomaly flags');
  const issued = nextSeq;
  checksSinceRead = 0;
  const [nanSeq, infSeq] = new Uint32Array(await read);

  const first = Math.min(nanSeq, infSeq);
  const record = records.get(first);
  for (const seq of records.keys()) if (seq < issued) records.delete(seq);
  const opNumber = seqBase + first + 1 - numberingStart;
  if (nextSeq === issued && pending.length === 0) {
    seqBase += nextSeq;
    nextSeq = 0;
  }
  if (first === NONE) return;

  device.queue.writeBuffer(buffer, 0, new Uint32Array([NONE, NONE]));
  let kind = nanSeq < infSeq ? 'NaN' : 'Inf';
  if (nanSeq === infSeq) kind = 'NaN and Inf';
  const opName = record === undefined ? 'an op' : record.op;
  const details = record === undefined ? '' : ` ${formatShape(record.shape)} (${record.phase}, op #${opNumber})`;
  throw new Error(`anomaly: ${opName} produced ${kind} in its output${details}; no earlier checked op produced NaN or Inf`);
}
