// Runs a sweep into a run folder: every (task, method, seed) cell of the config, or
// every n-th for a shard, skipping cells that are already finished. Then it writes the
// results, the charts and the CKA heatmap of the TD student of the first seed.

import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { cellId, enumerateCells, shardCells, type Cell, type CellResult, type Shard } from './cells.js';
import { CellCheckpointFiles } from './cell-checkpoint-node.js';
import { cellLabel, runCell } from './cell-runner.js';
import type { Experiment } from './downstream.js';
import { sharedDistillConfig, type ExperimentConfig } from './experiment-config.js';
import type { RunHooks } from './hooks.js';
import { buildImageExperiment } from './image-experiment-node.js';
import { searchPoints } from './methods.js';
import { buildMovieLensExperiment } from './movielens-experiment-node.js';
import { writeResults, type RunInfo, type TaskInfo } from './outputs-node.js';
import { RunFolder } from './run-folder-node.js';
import { saveStudent, studentPath, writeStudentCka } from './student-cka-node.js';
import { checkRunConfig } from './run-config-node.js';

export interface SweepOptions {
  config: ExperimentConfig;
  runDir: string;
  shard: Shard | null;
  hooks: RunHooks;
  adapterName: string;
  /** 'all' saves every cell's student (talkgrad distill); 'cka' only the TD student of the first seed when cka.enabled. */
  saveStudents: 'all' | 'cka';
}

export interface SweepOutcome {
  overview: string;
  ran: number;
  skipped: number;
  failed: { cell: Cell; error: string }[];
}

/** Builds the experiment of the config's task. */
export async function buildExperiment(config: ExperimentConfig, runDir: string, hooks: RunHooks): Promise<Experiment<unknown>> {
  const experiment = config.task === 'images' ? await buildImageExperiment(config, runDir, hooks) : await buildMovieLensExperiment(config, runDir, hooks);
  return experiment as Experiment<unknown>;
}

export function taskInfos(experiment: Experiment<unknown>): TaskInfo[] {
  return experiment.tasks.map((t) => ({
    name: t.name,
    metricName: t.metricName,
    higherIsBetter: t.higherIsBetter,
    teacherMetric: t.teacherMetric,
    teacherHeadFits: t.teacherHeadFits,
    description: t.description,
  }));
}

/** The search overrides of each point of a method, as written to result files. */
function searchHyperparameters(config: ExperimentConfig, method: string, points: number): Record<string, number | string | boolean>[] {
  const base = method.startsWith('td-') ? 'td' : method;
  const list = base === 'scratch' ? [{}] : config.search[base];
  return list.slice(0, points) as Record<string, number | string | boolean>[];
}

export async function runSweep(options: SweepOptions): Promise<SweepOutcome> {
  const { config, runDir, hooks } = options;
  const folder = new RunFolder(runDir);
  await folder.create();
  await checkRunConfig(folder, config);

  const experiment = await buildExperiment(config, runDir, hooks);
  try {
    const info: RunInfo = { tasks: taskInfos(experiment), teacher: experiment.teacherDescription, adapter: options.adapterName };
    await folder.writeText('tasks.json', JSON.stringify(info, null, 2) + '\n');
    const outcome = await runCells(options, folder, experiment);
    const expected = new Set(enumerateCells(info.tasks.map((t) => t.name), [...config.methods, ...config.ablations], config.seeds).map(cellId));
    const results = (await folder.loadCells()).filter((r) => expected.has(cellId(r.cell)));
    const { overview } = await writeResults(folder, config, info, results);
    return { ...outcome, overview };
  } finally {
    experiment.dispose();
  }
}

async function runCells(options: SweepOptions, folder: RunFolder, experiment: Experiment<unknown>): Promise<Omit<SweepOutcome, 'overview'>> {
  const { config, runDir, hooks } = options;
  const methods = [...config.methods, ...config.ablations];
  const all = enumerateCells(experiment.tasks.map((t) => t.name), methods, config.seeds);
  const cells = options.shard === null ? all : shardCells(all, options.shard);
  const finished = await folder.finishedIds();
  const checkpoints = new CellCheckpointFiles(join(runDir, 'checkpoints'));
  const shared = sharedDistillConfig(config);
  const ckaCell = (cell: Cell) => config.cka.enabled && cell.method === 'td' && cell.seed === config.seeds[0];
  hooks.log(`sweep: ${cells.length} cells${options.shard === null ? '' : ` (shard ${options.shard.index}/${options.shard.count} of ${all.length})`}, ${cells.filter((c) => finished.has(cellId(c))).length} already finished`);

  let ran = 0;
  let skipped = 0;
  const failed: SweepOutcome['failed'] = [];
  for (const cell of cells) {
    const task = experiment.tasks.find((t) => t.name === cell.task);
    if (task === undefined) throw new Error(`sweep: no task named ${cell.task}`);
    if (finished.has(cellId(cell))) {
      skipped++;
      continue;
    }
    const points = searchPoints(cell.method, shared, config.search, config.ablation, cell.seed);
    const save = options.saveStudents === 'all' || ckaCell(cell);
    hooks.log(`cell ${cellLabel(cell)}: start (${points.length} search point${points.length === 1 ? '' : 's'} of ${config.training.steps} steps)`);
    try {
      const result: CellResult = await runCell({
        cell,
        config,
        experiment,
        task,
        points,
        hyperparameters: searchHyperparameters(config, cell.method, points.length),
        checkpoints: config.training.checkpointEvery > 0 ? checkpoints : null,
        hooks,
        onSelectedPoint: save
          ? async (distiller, point) => {
              await mkdir(join(runDir, 'students'), { recursive: true });
              await saveStudent(studentPath(runDir, cell), distiller, { cell, point, distillConfig: points[point] });
            }
          : undefined,
      });
      await folder.saveCell(result);
      ran++;
      hooks.log(
        `cell ${cellLabel(cell)}: done in ${result.seconds.toFixed(1)} s, evaluation ${result.metricName} ${result.evalMetric.toFixed(4)} ` +
          `(${result.selection}, step ${result.selectedStep}, ${JSON.stringify(result.hyperparameters)})`,
      );
    } catch (error) {
      hooks.log(`cell ${cellLabel(cell)}: failed: ${(error as Error).stack ?? error}`);
      failed.push({ cell, error: (error as Error).message });
      continue;
    }
    if (ckaCell(cell)) await writeCka(options, experiment, cell);
  }
  return { ran, skipped, failed };
}

async function writeCka(options: SweepOptions, experiment: Experiment<unknown>, cell: Cell): Promise<void> {
  const path = studentPath(options.runDir, cell);
  const exists = await access(path).then(() => true, () => false);
  if (!exists) return;
  const task = experiment.tasks.find((t) => t.name === cell.task)!;
  try {
    const { pngPath } = await writeStudentCka(path, experiment, task, options.config.cka.examplesPerClass, join(options.runDir, 'cka'));
    options.hooks.log(`cka: wrote ${pngPath}`);
  } catch (error) {
    options.hooks.log(`cka: failed for ${cellLabel(cell)}: ${(error as Error).message}`);
  }
}
