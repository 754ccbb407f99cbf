// `talkgrad cka`: the per-class CKA between the teacher's representations (s_h, e_h) and
// each saved student's (s_g, e_g, m_g), written as JSON and a PNG heatmap.

import type { Command } from 'commander';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

import type { ExperimentConfig } from '../experiments/experiment-config.js';
import { resolveExperiment, DEFAULT_EXPERIMENT } from '../experiments/experiment-config.js';
import type { RunHooks } from '../experiments/hooks.js';
import { RunFolder } from '../experiments/run-folder-node.js';
import { readStudentCell, writeStudentCka } from '../experiments/student-cka-node.js';
import { buildExperiment } from '../experiments/sweep-node.js';
import { parsePositiveInt, startGpu } from './common.js';

interface CkaOptions {
  run: string;
  cell?: string;
  examples?: number;
}

async function ckaCommand(options: CkaOptions, hooks: RunHooks): Promise<void> {
  const folder = new RunFolder(options.run);
  const stored = await folder.readJson<ExperimentConfig>('config.json');
  if (stored === null) throw new Error(`cka: ${options.run}/config.json not found; pass the run folder of talkgrad distill or compare`);
  const config = resolveExperiment(DEFAULT_EXPERIMENT, stored, `${options.run}/config.json`);
  const studentsDir = join(options.run, 'students');
  const names = (await readdir(studentsDir).catch(() => [] as string[])).filter((n) => n.endsWith('.safetensors') && (options.cell === undefined || n === `${options.cell}.safetensors`));
  if (names.length === 0) {
    throw new Error(
      `cka: no saved student${options.cell === undefined ? '' : ` ${options.cell}`} in ${studentsDir}; ` +
        'run talkgrad distill (saves every student) or compare with cka.enabled (saves the TD student of the first seed)',
    );
  }

  await startGpu(hooks.log);
  hooks.log(`cka: start on ${names.length} saved student${names.length === 1 ? '' : 's'} in ${studentsDir}`);
  const experiment = await buildExperiment(config, options.run, hooks);
  try {
    for (const name of names) {
      const path = join(studentsDir, name);
      const cell = await readStudentCell(path);
      const task = experiment.tasks.find((t) => t.name === cell.task);
      if (task === undefined) throw new Error(`cka: ${path} belongs to task ${cell.task}, which this config does not have`);
      const { report, pngPath } = await writeStudentCka(path, experiment, task, options.examples ?? config.cka.examplesPerClass, join(options.run, 'cka'));
      hooks.log(`cka: wrote ${pngPath}`);
      const pairs = report.studentRepresentations.flatMap((s, i) =>
        report.teacherRepresentations.map((t, j) => {
          const values = report.classes.map((c) => c.cka[i][j]).filter(Number.isFinite);
          return `${s}:${t} ${(values.reduce((a, b) => a + b, 0) / Math.max(values.length, 1)).toFixed(3)}`;
        }),
      );
      process.stdout.write(`${name.replace(/\.safetensors$/, '')}: mean CKA over ${report.classes.length} classes: ${pairs.join(', ')}\n`);
    }
    hooks.log(`cka: end, heatmaps in ${join(options.run, 'cka')}`);
  } finally {
    experiment.dispose();
  }
}

export function registerCka(program: Command, hooks: () => RunHooks): void {
  program
    .command('cka')
    .description(
      "Compute the per-class linear CKA between the teacher's s_h, e_h and each saved student's s_g, e_g, m_g on the evaluation split; " +
        'writes <run>/cka/<cell>.json and .png (heatmap)',
    )
    .requiredOption('--run <folder>', 'run folder of talkgrad distill or compare (contains config.json and students/)')
    .option('--cell <id>', 'only this student, e.g. fashion-mnist-5to9__td__seed0 (default: every saved student)')
    .option('--examples <n>', 'examples per class (default: cka.examplesPerClass of the run config, 20 in code)', parsePositiveInt('--examples'))
    .action(async (options: CkaOptions) => ckaCommand(options, hooks()));
}
