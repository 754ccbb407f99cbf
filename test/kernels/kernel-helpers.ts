// Shared pieces of the kernel tests: the table of awkward lengths and the poisoned
// buffer pool that proves a kernel writes every element of its output.

import { expect } from 'vitest';
import { flush, full } from '../../src/index.js';

/** Row lengths around the 256-thread workgroup and its halves, plus 1 and small odd sizes. */
export const LENGTHS = [1, 3, 17, 63, 65, 127, 257];

/**
 * Leaves `count` buffers of `elements` f32 filled with NaN at the top of the pool, so
 * the next allocations of that size (an op's output) start as NaN instead of zeros.
 */
export function poisonPool(elements: number, count = 8): void {
  const poisoned = Array.from({ length: count }, () => full([elements], Number.NaN));
  for (const t of poisoned) t.dispose();
  flush();
}

/** Asserts that no element is NaN, i.e. the kernel overwrote every poisoned element. */
export function expectAllWritten(values: ArrayLike<number>, what: string): void {
  let firstNaN = -1;
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) {
      firstNaN = i;
      break;
    }
  }
  expect(firstNaN, `${what}: element ${firstNaN} was never written (still NaN)`).toBe(-1);
}
