// Collects the representations of the CKA analysis from a distiller for a number of
// examples per class and computes the per-class CKA report. The representations are
// the teacher's s_h and e_h and the student's s_g, e_g and m_g (where the method has
// E_g). Token states are flattened, so each example is one row of T * D features.

import type { Tensor } from '../tensor/tensor.js';
import { featureMatrix, type FeatureMatrix } from './cka.js';
import { classCkaReport, type CkaReport } from './cka-report.js';
import type { Distiller } from './distiller.js';
import type { EvalBatches } from './evaluate.js';

export interface CkaCollectOptions<Input> {
  /** Examples per class. The Talking Models paper used 20. */
  examplesPerClass: number;
  /** Classes to report; default every class seen, ascending. Collection stops early once these are full. */
  classes?: number[];
  /** Class of each example of a batch; default the batch targets y (int32 class ids). */
  labelsOf?: (batch: { x: Input; y: Tensor }) => Promise<ArrayLike<number>>;
}

const TEACHER_NAMES = ['s_h', 'e_h'];

/** Runs the distiller's models on `batches` and returns the per-class CKA report. */
export async function collectClassCka<Input>(
  distiller: Distiller<Input>,
  batches: EvalBatches<Input>,
  options: CkaCollectOptions<Input>,
): Promise<CkaReport> {
  const labelsOf = options.labelsOf ?? ((batch) => batch.y.data());
  const requested = options.classes === undefined ? null : new Set(options.classes);
  const counts = new Map<number, number>();
  const labels: number[] = [];
  const rows = new Map<string, { width: number; values: number[] }>();
  const full = () => requested !== null && [...requested].every((c) => (counts.get(c) ?? 0) >= options.examplesPerClass);

  for await (const batch of batches) {
    if (full()) break;
    const batchLabels = await labelsOf(batch);
    const take: number[] = [];
    for (let i = 0; i < batchLabels.length; i++) {
      const label = batchLabels[i];
      if ((requested !== null && !requested.has(label)) || (counts.get(label) ?? 0) >= options.examplesPerClass) continue;
      counts.set(label, (counts.get(label) ?? 0) + 1);
      take.push(i);
      labels.push(label);
    }
    if (take.length === 0) continue;

    const reps = distiller.representations(batch.x);
    try {
      for (const [name, t] of Object.entries(reps)) {
        const values = await t.data();
        const width = t.size / t.shape[0];
        const entry = rows.get(name) ?? { width, values: [] };
        for (const i of take) for (let j = 0; j < width; j++) entry.values.push(values[i * width + j]);
        rows.set(name, entry);
      }
    } finally {
      for (const t of Object.values(reps)) t.dispose();
    }
  }

  const matrices: Record<string, FeatureMatrix> = {};
  for (const [name, { width, values }] of rows) matrices[name] = featureMatrix(values, labels.length, width);
  const pick = (names: string[]) => Object.fromEntries(names.filter((n) => n in matrices).map((n) => [n, matrices[n]]));
  return classCkaReport({
    labels,
    teacher: pick(TEACHER_NAMES),
    student: pick(Object.keys(matrices).filter((n) => !TEACHER_NAMES.includes(n))),
    examplesPerClass: options.examplesPerClass,
    classes: options.classes,
  });
}
