// Seeded epoch shuffling with a position that a checkpoint can save and restore, so a
// resumed run gets exactly the batches that the interrupted run would have got.

import { Rng } from '../util/rng.js';

/** Position of an EpochSampler, as a plain object that JSON can store. */
export interface SamplerState {
  epoch: number;
  /** Index into the current epoch's order of the next item to return. */
  cursor: number;
  /** Rng state at the start of the current epoch, before its order was drawn. */
  rngState: number;
}

export interface EpochSamplerOptions {
  /** Number of items. The sampler returns indices in [0, size). */
  size: number;
  batchSize: number;
  seed: number;
  /** Skip the last batch of an epoch when it is shorter than batchSize. Default false. */
  dropLast?: boolean;
}

/**
 * Returns batches of indices, visiting every item once per epoch in a new random order.
 * A batch never spans two epochs. The epoch counter advances as soon as the last batch
 * of an epoch is returned, so `while (sampler.epoch < epochs)` runs whole epochs.
 */
export class EpochSampler {
  readonly size: number;
  readonly batchSize: number;
  readonly dropLast: boolean;
  private readonly rng: Rng;
  private order: Int32Array;
  private epochIndex = 0;
  private position = 0;
  private epochRngState: number;

  constructor(options: EpochSamplerOptions) {
    const { size, batchSize, seed, dropLast = false } = options;
    if (!Number.isInteger(size) || size < 1) throw new Error(`EpochSampler: size must be a positive integer, got ${size}`);
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new Error(`EpochSampler: batchSize must be a positive integer, got ${batchSize}`);
    }
    if (dropLast && batchSize > size) {
      throw new Error(`EpochSampler: batchSize ${batchSize} exceeds size ${size}, so dropLast would drop every batch`);
    }

    this.size = size;
    this.batchSize = batchSize;
    this.dropLast = dropLast;
    this.rng = new Rng(seed);
    this.epochRngState = this.rng.state();
    this.order = this.rng.permutation(size);
  }

  get epoch(): number {
    return this.epochIndex;
  }

  get cursor(): number {
    return this.position;
  }

  /** Returns the next batch of indices. The last batch of an epoch may be shorter unless dropLast. */
  nextBatch(): Int32Array {
    const end = Math.min(this.position + this.batchSize, this.size);
    const batch = this.order.slice(this.position, end);
    this.position = end;

    const remaining = this.size - this.position;
    if (remaining === 0 || (this.dropLast && remaining < this.batchSize)) this.startEpoch(this.epochIndex + 1);
    return batch;
  }

  /** Number of batches left in the current epoch. */
  batchesLeftInEpoch(): number {
    const remaining = this.size - this.position;
    return this.dropLast ? Math.floor(remaining / this.batchSize) : Math.ceil(remaining / this.batchSize);
  }

  state(): SamplerState {
    return { epoch: this.epochIndex, cursor: this.position, rngState: this.epochRngState };
  }

  /** Restores a position from state(). The sampler must have the same size and batch settings. */
  setState(state: SamplerState): void {
    const { epoch, cursor, rngState } = state;
    if (!Number.isInteger(epoch) || epoch < 0) throw new Error(`EpochSampler.setState: epoch ${epoch} is not a non-negative integer`);
    if (!Number.isInteger(cursor) || cursor < 0 || cursor >= this.size) {
      throw new Error(`EpochSampler.setState: cursor ${cursor} is outside [0, ${this.size}); the state belongs to a sampler of another size`);
    }
    if (!Number.isInteger(rngState)) throw new Error(`EpochSampler.setState: rngState ${rngState} is not an integer`);

    this.rng.setState(rngState);
    this.epochRngState = this.rng.state();
    this.order = this.rng.permutation(this.size);
    this.epochIndex = epoch;
    this.position = cursor;
  }

  private startEpoch(epoch: number): void {
    this.epochRngState = this.rng.state();
    this.order = this.rng.permutation(this.size);
    this.epochIndex = epoch;
    this.position = 0;
  }
}
