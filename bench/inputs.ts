// Seeded inputs and the closeness check shared by the benchmark families.

import { tensor } from '../src/ops/create.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { Rng } from '../src/util/rng.js';

const rng = new Rng(2024);

/** Uniform values in [low, high), rounded to f32, so a float64 reference gets the values the GPU reads. */
export function randomArray(n: number, low = -1, high = 1, seed?: number): Float32Array {
  const source = seed === undefined ? rng : new Rng(seed);
  return Float32Array.from({ length: n }, () => low + (high - low) * source.uniform());
}

export function randomTensor(shape: number[], requiresGrad = false, low = -1, high = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(randomArray(n, low, high), { shape, requiresGrad });
}

/** Returns null when |actual - expected| <= atol + rtol |expected| everywhere, else the worst element. */
export function compareArrays(label: string, actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number): string | null {
  if (actual.length !== expected.length) return `${label}: ${actual.length} values, expected ${expected.length}`;
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const excess = Math.abs(actual[i] - expected[i]) - (atol + rtol * Math.abs(expected[i]));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst < 0) return null;
  return `${label}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (rtol ${rtol}, atol ${atol})`;
}
