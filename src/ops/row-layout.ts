// Workgroup shape of the row kernels (shaders/layernorm*.wgsl, softmax*.wgsl,
// cross-entropy.wgsl, kl-divergence.wgsl, reduce.wgsl). A team of THREADS_PER_ROW
// threads (a power of two) reduces one row, and a workgroup contains several teams.
// Short rows get a team of one thread, which needs no workgroup memory or barriers:
// on software adapters (lavapipe, SwiftShader) a 256-thread tree per 32-float row
// cost more than the arithmetic itself.

import { grid } from '../gpu/runtime.js';
import type { Defines } from '../gpu/pipelines.js';

/**
 * Elements each thread of a team folds before the team doubles. On lavapipe
 * (scripts/bench-row-kernels.ts), 32 to 128 gave similar times and 16 was slower.
 */
export const ELEMENTS_PER_THREAD = 64;
/** Largest team, as wide as the original one-row-per-workgroup kernels. */
export const MAX_THREADS_PER_ROW = 256;
/** Smallest workgroup, so short rows still fill a whole workgroup of teams. */
const MIN_WORKGROUP_SIZE = 64;

export interface RowLayout {
  defines: Defines;
  workgroups: [number, number];
}

/** Returns the team size for rows of `len`: one thread up to ELEMENTS_PER_THREAD, then a power of two. */
export function threadsPerRow(len: number): number {
  let threads = 1;
  while (threads < MAX_THREADS_PER_ROW && threads * ELEMENTS_PER_THREAD < len) threads *= 2;
  return threads;
}

/** Chooses the team size and the workgroup grid for `rows` rows of `len` elements. */
export function rowLayout(rows: number, len: number): RowLayout {
  const threads = threadsPerRow(len);
  const workgroupSize = Math.max(threads, MIN_WORKGROUP_SIZE);
  return {
    defines: { THREADS_PER_ROW: String(threads), WORKGROUP_SIZE: String(workgroupSize) },
    workgroups: grid(rows, workgroupSize / threads),
  };
}
