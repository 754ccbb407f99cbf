// Saved students and their CKA analysis. A student file (<run>/students/<cell>.safetensors)
// contains the distiller state of a cell's reported search point after its last step and
// the DistillConfig that built it, so the CKA between its representations and the
// teacher's can be computed later without retraining.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { loadSafetensors, saveSafetensors } from '../io/files-node.js';
import { Adam } from '../optim/adam.js';
import { distillerStateFromSafetensors, distillerStateToSafetensors } from '../td/checkpoint.js';
import { collectClassCka } from '../td/cka-collect.js';
import { writeCkaReport } from '../td/cka-heatmap-node.js';
import type { CkaReport } from '../td/cka-report.js';
import type { DistillConfig } from '../td/config.js';
import { createDistiller, type Distiller } from '../td/distiller.js';
import { cellId, type Cell } from './cells.js';
import type { DownstreamTask, Experiment } from './downstream.js';

const STUDENT_KEY = 'talkgrad.student';

interface StudentInfo {
  cell: Cell;
  point: number;
  distillConfig: Partial<DistillConfig>;
}

export function studentPath(runDir: string, cell: Cell): string {
  return join(runDir, 'students', `${cellId(cell)}.safetensors`);
}

/** Saves the distiller state with the config that rebuilds it. */
export async function saveStudent<Input>(path: string, distiller: Distiller<Input>, info: StudentInfo): Promise<void> {
  const { tensors, metadata } = await distillerStateToSafetensors(distiller);
  await saveSafetensors(path, tensors, { ...metadata, [STUDENT_KEY]: JSON.stringify(info) });
}

/** Reads the cell a student file belongs to. */
export async function readStudentCell(path: string): Promise<Cell> {
  const contents = await loadSafetensors(path);
  const raw = contents.metadata[STUDENT_KEY];
  if (raw === undefined) throw new Error(`${path}: metadata '${STUDENT_KEY}' is missing; the file is not a saved student`);
  return (JSON.parse(raw) as StudentInfo).cell;
}

/**
 * Rebuilds the saved student of `path` against the experiment's teacher, computes the
 * per-class CKA on the task's evaluation batches and writes <outDir>/<cell>.json and .png.
 */
export async function writeStudentCka<Input>(
  path: string,
  experiment: Experiment<Input>,
  task: DownstreamTask<Input>,
  examplesPerClass: number,
  outDir: string,
): Promise<{ report: CkaReport; jsonPath: string; pngPath: string }> {
  const contents = await loadSafetensors(path);
  const raw = contents.metadata[STUDENT_KEY];
  if (raw === undefined) throw new Error(`${path}: metadata '${STUDENT_KEY}' is missing; the file is not a saved student`);
  const info = JSON.parse(raw) as StudentInfo;

  const student = task.createStudent(info.cell.seed);
  const distiller = createDistiller({
    teacher: experiment.teacher,
    student,
    task: task.kind,
    config: info.distillConfig,
    optimizer: (params) => new Adam(params),
  });
  try {
    distiller.loadStateDict(distillerStateFromSafetensors(contents));
    const report = await collectClassCka(distiller, task.evaluation, { examplesPerClass, labelsOf: (batch) => task.ckaLabels(batch) });
    await mkdir(outDir, { recursive: true });
    const base = join(outDir, cellId(info.cell));
    await writeCkaReport(report, `${base}.json`, `${base}.png`);
    return { report, jsonPath: `${base}.json`, pngPath: `${base}.png` };
  } finally {
    distiller.dispose();
    student.dispose();
  }
}
