// Row-wise benchmark families: layerNorm [x, weight, bias], softmax [x] and
// crossEntropy [logits, targets], each registered only when src/ops exports the op.
// They are memory-bound, so the figure is GB/s of the main tensors read and written.

import * as ops from '../src/ops/index.js';
import { tensor } from '../src/ops/create.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { compareArrays, randomArray, randomTensor } from './inputs.js';
import { registerVariant, type BenchCase, type Family, type KernelVariant } from './registry.js';

/** Bytes per element moved: forward reads x and writes y, backward reads y (or x) and dy and writes dx. */
function rowCase(rows: number, len: number, quick: boolean, makeInputs: BenchCase['makeInputs'], forwardTensors: number, backwardTensors: number): BenchCase {
  const n = rows * len;
  return {
    label: `${rows}x${len}`,
    passes: ['forward', 'backward'],
    makeInputs,
    bytes: { forward: forwardTensors * 4 * n, backward: backwardTensors * 4 * n },
    reps: quick ? 5 : 15,
    warmup: 2,
  };
}

function rowsOf(x: ArrayLike<number>, len: number, fn: (row: number[]) => number[]): Float64Array {
  const out = new Float64Array(x.length);
  for (let base = 0; base < x.length; base += len) out.set(fn(Array.from(x).slice(base, base + len)), base);
  return out;
}

function softmaxRow(row: number[]): number[] {
  const max = Math.max(...row);
  const e = row.map((v) => Math.exp(v - max));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / total);
}

const layerNormFamily: Family = {
  name: 'layerNorm',
  workModel: 'GB/s = 8 bytes per element forward (x, y), 12 backward (x, dy, dx)',
  cases: (quick) => [
    rowCase(4096, 256, quick, (g) => [randomTensor([4096, 256], g), randomTensor([256], g), randomTensor([256], g)], 2, 3),
  ],
  check: async (variant: KernelVariant) => {
    const [rows, len] = [7, 33];
    const [x, w, b] = [31, 32, 33].map((seed, i) => randomArray(i === 0 ? rows * len : len, -1, 1, seed));
    const out = variant.run([tensor(x, { shape: [rows, len] }), tensor(w), tensor(b)]);
    const expected = rowsOf(x, len, (row) => {
      const mean = row.reduce((s, v) => s + v, 0) / len;
      const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / len;
      return row.map((v, j) => ((v - mean) / Math.sqrt(variance + 1e-5)) * w[j] + b[j]);
    });
    return compareArrays(`${variant.name} forward`, await out.data(), expected, 1e-4, 1e-5);
  },
};

const softmaxFamily: Family = {
  name: 'softmax',
  workModel: 'GB/s = 8 bytes per element forward (x, y), 12 backward (y, dy, dx)',
  cases: (quick) => {
    const shapes: [number, number][] = quick ? [[4096, 256]] : [[4096, 256], [1024, 1000], [4352, 17]];
    return shapes.map(([rows, len]) => rowCase(rows, len, quick, (g) => [randomTensor([rows, len], g, -4, 4)], 2, 3));
  },
  check: async (variant: KernelVariant) => {
    const [rows, len] = [5, 37];
    const x = randomArray(rows * len, -4, 4, 41);
    const out = variant.run([tensor(x, { shape: [rows, len] })]);
    return compareArrays(`${variant.name} forward`, await out.data(), rowsOf(x, len, softmaxRow), 1e-4, 1e-6);
  },
};

function targetsFor(rows: number, classes: number, seed: number): Int32Array {
  const values = randomArray(rows, 0, classes, seed);
  return Int32Array.from(values, (v) => Math.min(classes - 1, Math.floor(v)));
}

const crossEntropyFamily: Family = {
  name: 'crossEntropy',
  workModel: 'GB/s = 4 bytes per logit forward (read), 8 backward (read logits, write dx)',
  cases: (quick) => {
    const shapes: [number, number][] = quick ? [[4096, 10]] : [[4096, 10], [1024, 1000]];
    return shapes.map(([rows, classes]) =>
      rowCase(rows, classes, quick, (g) => [randomTensor([rows, classes], g, -4, 4), tensor(targetsFor(rows, classes, 51))], 1, 2),
    );
  },
  check: async (variant: KernelVariant) => {
    const [rows, classes] = [6, 13];
    const logits = randomArray(rows * classes, -4, 4, 52);
    const targets = targetsFor(rows, classes, 53);
    const out = variant.run([tensor(logits, { shape: [rows, classes] }), tensor(targets)]);
    const probs = rowsOf(logits, classes, softmaxRow);
    let loss = 0;
    for (let r = 0; r < rows; r++) loss -= Math.log(probs[r * classes + targets[r]]) / rows;
    return compareArrays(`${variant.name} forward`, await out.data(), [loss], 1e-5, 1e-6);
  },
};

// Looked up by name, so the bench still compiles and runs when an op is missing.
type OpFunction = (...args: unknown[]) => Tensor;
const exported = ops as unknown as Record<string, OpFunction | undefined>;

/** Registers the library variant of each row op that src/ops exports and returns their families. */
export function rowFamilies(): Family[] {
  const families: Family[] = [];
  const add = (family: Family, op: string, run: (fn: OpFunction, inputs: Tensor[]) => Tensor) => {
    const fn = exported[op];
    if (typeof fn !== 'function') return;
    families.push(family);
    registerVariant({ family: family.name, name: op, description: `library ${op}`, run: (inputs) => run(fn, inputs) });
  };
  add(layerNormFamily, 'layerNorm', (fn, [x, w, b]) => fn(x, w, b));
  add(softmaxFamily, 'softmax', (fn, [x]) => fn(x, -1));
  add(crossEntropyFamily, 'crossEntropy', (fn, [logits, targets]) => fn(logits, targets));
  return families;
}
