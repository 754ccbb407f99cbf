// Seeded class-balanced sampling.

import type { Rng } from '../util/rng.js';

/**
 * Picks `perClass` random items of every class 0 .. numClasses-1 and returns their
 * indices in ascending order, so the subset keeps the source's order.
 *
 * For each class in ascending order, the indices of that class (ascending) are shuffled
 * with `rng` and the first `perClass` are kept. The same labels and rng state always give
 * the same subset. numClasses defaults to the largest label + 1.
 */
export function stratifiedSubset(labels: Int32Array, perClass: number, rng: Rng, numClasses?: number): Int32Array {
  if (!Number.isInteger(perClass) || perClass < 0) {
    throw new Error(`stratifiedSubset: perClass must be a non-negative integer, got ${perClass}`);
  }
  const classes = numClasses ?? labels.reduce((max, label) => Math.max(max, label + 1), 0);

  const byClass: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (label < 0 || label >= classes) {
      throw new Error(`stratifiedSubset: label ${label} at index ${i} is outside [0, ${classes})`);
    }
    byClass[label].push(i);
  }

  const chosen: number[] = [];
  for (let c = 0; c < classes; c++) {
    const members = byClass[c];
    if (members.length < perClass) {
      throw new Error(
        `stratifiedSubset: class ${c} has ${members.length} items, fewer than the ${perClass} requested; lower perClass`,
      );
    }
    rng.shuffle(members);
    for (let k = 0; k < perClass; k++) chosen.push(members[k]);
  }

  return Int32Array.from(chosen).sort();
}
