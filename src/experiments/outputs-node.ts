// Writes the results of a run folder from its finished cells: results.json,
// results.csv, results.md (the overview table, per-task tables and the ablation
// table) and the curve charts under plots/.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { encodePng } from '../td/cka-heatmap-node.js';
import type { CellResult } from './cells.js';
import type { ExperimentConfig } from './experiment-config.js';
import { stringifyNumbers } from './json-numbers.js';
import { ABLATION_DESCRIPTIONS, ABLATION_NAMES, type AblationName } from './methods.js';
import { MAIN_METHODS } from './experiment-config.js';
import { renderCurveCharts } from './plots.js';
import { summarize, toCsv, toMarkdown, toOverviewMarkdown, type Summary } from './report.js';
import type { RunFolder } from './run-folder-node.js';

/** Facts about each task that the tables need, stored in tasks.json so merge can rewrite results without the data. */
export interface TaskInfo {
  name: string;
  metricName: string;
  higherIsBetter: boolean;
  /** The teacher's metric where its head fits the task, else null. */
  teacherMetric: number | null;
  teacherHeadFits: boolean;
  description: Record<string, unknown>;
}

export interface RunInfo {
  tasks: TaskInfo[];
  teacher: Record<string, unknown>;
  adapter: string;
}

export const METHOD_ORDER = [...MAIN_METHODS, ...ABLATION_NAMES];

function notesOf(config: ExperimentConfig, info: RunInfo, results: CellResult[]): string[] {
  const { steps, selection, evalEvery } = config.training;
  const searchSizes = [...new Set(results.filter((r) => r.cell.method !== 'scratch').map((r) => r.search?.length ?? 1))];
  const notes = [
    `Every method trains each student for ${steps} steps (batch ${config.training.batchSize}, Adam lr ${config.training.lr}).`,
    selection === 'best-on-validation'
      ? `Numbers are best-on-validation: the evaluation metric at the search point and step (every ${evalEvery} steps) with the best validation metric; the evaluation split is never used for a choice.`
      : 'Numbers are last-step: the evaluation metric after the last step of the search point with the best last-step validation metric.',
    `Each distillation method searches the same number of settings of its loss weights (${searchSizes.join(' or ')}; see search in config.json), and scratch has none.`,
    'Mean ± standard error over seeds; "vs scratch" is the relative improvement of the mean over scratch, positive is better.',
    `Adapter: ${info.adapter}.`,
  ];
  if (info.tasks.some((t) => !t.teacherHeadFits)) {
    notes.push(
      "The teacher's head was trained on other classes and cannot predict the downstream labels, so no teacher metric is reported there. " +
        "LD and hybrid use a linear probe on the teacher's e_h, fitted on each seed's labeled training images.",
    );
  }
  const ablations = [...new Set(results.map((r) => r.cell.method))].filter((m) => (ABLATION_NAMES as readonly string[]).includes(m));
  for (const name of ablations) notes.push(`${name}: ${ABLATION_DESCRIPTIONS[name as AblationName]}.`);
  return notes;
}

/** Writes results.json, results.csv, results.md and plots/*.png; returns the summary and the overview table. */
export async function writeResults(folder: RunFolder, config: ExperimentConfig, info: RunInfo, results: CellResult[]): Promise<{ summary: Summary; overview: string }> {
  const summary = summarize(results, METHOD_ORDER);
  const teacherMetrics = Object.fromEntries(info.tasks.map((t) => [t.name, t.teacherMetric]));
  const overview = toOverviewMarkdown(summary, [...MAIN_METHODS], teacherMetrics);
  const notes = notesOf(config, info, results);

  const detail = toMarkdown(summary, [...MAIN_METHODS], `Results of ${config.name}`, notes);
  const [title, ...rest] = detail.split('\n');
  const markdown = [title, '', '## Overview', '', overview.trimEnd(), ...rest].join('\n');

  await folder.writeText(
    'results.json',
    stringifyNumbers(
      { name: config.name, task: config.task, selection: config.training.selection, steps: config.training.steps, tasks: info.tasks, teacher: info.teacher, cells: results.length, rows: summary.rows, notes },
      2,
    ) + '\n',
  );
  await folder.writeText('results.csv', toCsv(summary));
  await folder.writeText('results.md', markdown);

  const hasAblations = results.some((r) => (ABLATION_NAMES as readonly string[]).includes(r.cell.method));
  const groups: Record<string, string[]> = { '': [...MAIN_METHODS] };
  if (hasAblations) groups.ablations = ['td', ...ABLATION_NAMES];
  await mkdir(join(folder.dir, 'plots'), { recursive: true });
  for (const chart of renderCurveCharts(results, groups)) await folder.writeBytes(join('plots', chart.name), encodePng(chart.image));
  return { summary, overview };
}
