// The values and range of int32 tensors whose values passed through the CPU
// (`tensor()`), so index ops (embedding, crossEntropy) can check ids without a GPU
// read back, and the embedding backward can sort its ids on the CPU.
// Keyed by storage, so a reshape (which aliases the storage) keeps the range.
// NOTE: a write into the buffer after creation (writeBuffer, an in-place kernel)
// makes the recorded range stale. No int32 op in the library writes in place today.

import type { Tensor } from './tensor.js';

export interface ValueRange {
  min: number;
  max: number;
}

interface Known extends ValueRange {
  values: Int32Array;
}

const ranges = new WeakMap<object, Known>();

/** Records the values of an int32 tensor just uploaded from `values`, which the caller must not change afterwards. */
export function setKnownValues(t: Tensor, values: Int32Array): void {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  ranges.set(t.storage, { min, max, values });
}

/** Returns the min and max of an int32 tensor created from CPU values, or null when unknown. */
export function knownRange(t: Tensor): ValueRange | null {
  const known = ranges.get(t.storage);
  return known === undefined ? null : { min: known.min, max: known.max };
}

/** Returns the values of an int32 tensor created from CPU values, or null when unknown. */
export function knownValues(t: Tensor): Int32Array | null {
  return ranges.get(t.storage)?.values ?? null;
}
