// Per-class CKA between teacher and student representations, as in the case study of
// Zhao et al. (2023), "Talking Models: Distill Pre-trained Knowledge to Downstream
// Models via Interactive Communication": for each class, a fixed number of its
// examples, and linear CKA between every teacher representation (s_h, e_h) and
// every student representation (s_g, e_g, m_g).

import { featureMatrix, linearCka, type FeatureMatrix } from './cka.js';

export interface ClassCkaInput {
  /** Class label of each example (row) of the feature matrices. */
  labels: ArrayLike<number>;
  /** Teacher representations by name, each with one row per example. */
  teacher: Record<string, FeatureMatrix>;
  /** Student representations by name, each with one row per example. */
  student: Record<string, FeatureMatrix>;
  /** Examples of each class to use: the first ones in row order. */
  examplesPerClass: number;
  /** Classes to report, in this order; default every label present, ascending. */
  classes?: number[];
}

export interface ClassCka {
  label: number;
  /** Examples used (fewer than requested when the class has fewer). */
  examples: number;
  /** cka[i][j] is CKA(student representation i, teacher representation j); NaN where undefined. */
  cka: number[][];
}

export interface CkaReport {
  examplesPerClass: number;
  teacherRepresentations: string[];
  studentRepresentations: string[];
  classes: ClassCka[];
  /** Classes left out because they have fewer than 2 examples. */
  skippedClasses: number[];
}

/** Picks rows of `x` by index. */
export function selectRows(x: FeatureMatrix, rows: readonly number[]): FeatureMatrix {
  const out = new Float64Array(rows.length * x.cols);
  rows.forEach((row, i) => {
    for (let j = 0; j < x.cols; j++) out[i * x.cols + j] = x.values[row * x.cols + j];
  });
  return featureMatrix(out, rows.length, x.cols);
}

/** Computes the CKA matrix of every class. */
export function classCkaReport(input: ClassCkaInput): CkaReport {
  const { labels, examplesPerClass } = input;
  if (!Number.isInteger(examplesPerClass) || examplesPerClass < 2) {
    throw new Error(`classCkaReport: examplesPerClass must be an integer >= 2, got ${examplesPerClass}`);
  }
  const teacherNames = Object.keys(input.teacher);
  const studentNames = Object.keys(input.student);
  if (teacherNames.length === 0 || studentNames.length === 0) {
    throw new Error('classCkaReport: needs at least one teacher and one student representation');
  }
  for (const [name, x] of [...Object.entries(input.teacher), ...Object.entries(input.student)]) {
    if (x.rows !== labels.length) {
      throw new Error(`classCkaReport: representation '${name}' has ${x.rows} rows but there are ${labels.length} labels`);
    }
  }

  const rowsByClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const rows = rowsByClass.get(labels[i]) ?? [];
    if (rows.length < examplesPerClass) rows.push(i);
    rowsByClass.set(labels[i], rows);
  }
  const classes = input.classes ?? [...rowsByClass.keys()].sort((a, b) => a - b);

  const report: CkaReport = {
    examplesPerClass,
    teacherRepresentations: teacherNames,
    studentRepresentations: studentNames,
    classes: [],
    skippedClasses: [],
  };
  for (const label of classes) {
    const rows = rowsByClass.get(label) ?? [];
    if (rows.length < 2) {
      report.skippedClasses.push(label);
      continue;
    }
    const teacher = teacherNames.map((name) => selectRows(input.teacher[name], rows));
    const cka = studentNames.map((name) => {
      const student = selectRows(input.student[name], rows);
      return teacher.map((t) => linearCka(student, t));
    });
    report.classes.push({ label, examples: rows.length, cka });
  }
  return report;
}

/** Serializes a report as JSON; NaN (undefined CKA) becomes null. */
export function ckaReportToJson(report: CkaReport): string {
  return JSON.stringify(report, (_key, value) => (typeof value === 'number' && Number.isNaN(value) ? null : value), 2);
}
