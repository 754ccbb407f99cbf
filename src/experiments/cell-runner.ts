// Runs one cell of a sweep: one (task, method, seed) with the method's hyper-parameter
// search. Every search point trains a fresh student for the same number of steps on
// the same batch order. The validation split picks the reported point and step; the
// evaluation split is only measured, never used for a choice.
//
// A cell saves a checkpoint every `checkpointEvery` steps (through a CellCheckpointStore)
// and resumes from it: the distiller state, the sampler position, the curve so far and
// the finished points. Checkpoints fall on validation steps, so a resumed cell computes
// exactly the same numbers as an uninterrupted one.

import { EpochSampler, type SamplerState } from '../data/batching.js';
import { Adam } from '../optim/adam.js';
import type { DistillerState } from '../td/checkpoint.js';
import type { DistillConfig } from '../td/config.js';
import { createDistiller, type Distiller } from '../td/distiller.js';
import { fitLinearProbe, type LinearProbe } from '../td/linear-probe.js';
import type { Cell, CellResult, CurvePoint, SearchPointResult } from './cells.js';
import { disposeBatches, type DownstreamTask, type Experiment, type SeedData } from './downstream.js';
import type { ExperimentConfig } from './experiment-config.js';
import type { RunHooks } from './hooks.js';
import { baseMethod } from './methods.js';

/** A measured step that may be reported: its validation metric and the evaluation metric there. */
export interface Candidate {
  point: number;
  step: number;
  validation: number;
  evalMetric: number;
}

export type FinishedPoint = SearchPointResult & { curve: CurvePoint[]; settings: Record<string, unknown> };

/** Everything of a cell in progress except the distiller's tensors (JSON-safe). */
export interface CellProgress {
  /** Search point in progress and the steps it has taken. */
  point: number;
  step: number;
  curve: CurvePoint[];
  sampler: SamplerState;
  finished: FinishedPoint[];
  /** Best validation over every point and step so far ('best-on-validation'). */
  bestOnValidation: Candidate | null;
  /** Best last-step validation over the finished points ('last-step'). */
  bestLastStep: Candidate | null;
  elapsedSeconds: number;
}

export interface CellCheckpointStore {
  load(cell: Cell): Promise<{ progress: CellProgress; state: DistillerState } | null>;
  save<Input>(cell: Cell, progress: CellProgress, distiller: Distiller<Input>): Promise<void>;
  clear(cell: Cell): Promise<void>;
}

export interface RunCellOptions<Input> {
  cell: Cell;
  config: ExperimentConfig;
  experiment: Experiment<Input>;
  task: DownstreamTask<Input>;
  /** One DistillConfig per search point (see searchPoints). */
  points: Partial<DistillConfig>[];
  /** The search overrides of each point, for result files. */
  hyperparameters: Record<string, number | string | boolean>[];
  checkpoints: CellCheckpointStore | null;
  hooks: RunHooks;
  /** Called when a finished point is the one selected so far, e.g. to save its student for CKA. */
  onSelectedPoint?: (distiller: Distiller<Input>, point: number) => Promise<void>;
}

const better = (a: number, b: number, higherIsBetter: boolean) => (higherIsBetter ? a > b : a < b);

export function cellLabel(cell: Cell): string {
  return `${cell.task}/${cell.method}/seed ${cell.seed}`;
}

/** Returns the task metric of an evaluation result. */
function metricOf(task: DownstreamTask<unknown>, metrics: Record<string, number>): number {
  const value = metrics[task.metricName];
  if (value === undefined) throw new Error(`task ${task.name}: evaluation returned no '${task.metricName}' (got ${Object.keys(metrics).join(', ')})`);
  return value;
}

/** Seed of the batch order, offset from the cell seed so it differs from the stream that splits the data. */
const samplerSeed = (seed: number) => (seed + 7777) >>> 0;

class CellRun<Input> {
  private probe: LinearProbe | null = null;
  private readonly data: SeedData<Input>;
  private lapStart = performance.now();

  constructor(private readonly options: RunCellOptions<Input>) {
    this.data = options.task.data(options.cell.seed);
  }

  private get task(): DownstreamTask<Input> {
    return this.options.task;
  }

  private newSampler(): EpochSampler {
    const size = this.data.trainSize;
    return new EpochSampler({ size, batchSize: Math.min(this.options.config.training.batchSize, size), seed: samplerSeed(this.options.cell.seed) });
  }

  private freshPoint(point: number, previous: CellProgress | null): CellProgress {
    return {
      point,
      step: 0,
      curve: [],
      sampler: this.newSampler().state(),
      finished: previous?.finished ?? [],
      bestOnValidation: previous?.bestOnValidation ?? null,
      bestLastStep: previous?.bestLastStep ?? null,
      elapsedSeconds: previous?.elapsedSeconds ?? 0,
    };
  }

  /** Returns the linear probe that replaces the teacher head for LD and hybrid, fitted once per cell. */
  private async teacherHead(): Promise<LinearProbe | undefined> {
    const method = baseMethod(this.options.cell.method);
    if (this.task.teacherHeadFits || (method !== 'ld' && method !== 'hybrid')) return undefined;
    if (this.probe === null) {
      const batches = this.data.trainBatches();
      try {
        this.probe = await fitLinearProbe(this.options.experiment.teacher, batches, {
          task: 'classification',
          classes: this.task.numClasses,
          ...this.options.experiment.probe,
          seed: this.options.cell.seed,
        });
      } finally {
        disposeBatches(batches, (x) => this.task.disposeInput(x));
      }
    }
    return this.probe;
  }

  private async createDistiller(point: number): Promise<Distiller<Input>> {
    const { experiment, config, points } = this.options;
    const teacherHead = await this.teacherHead();
    const student = this.task.createStudent(this.options.cell.seed);
    try {
      return createDistiller({
        teacher: experiment.teacher,
        student,
        task: this.task.kind,
        config: points[point],
        optimizer: (params) => new Adam(params, { lr: config.training.lr }),
        teacherHead,
      });
    } catch (error) {
      student.dispose();
      throw error;
    }
  }

  async run(): Promise<CellResult> {
    const { cell, points, checkpoints, hooks } = this.options;
    const bar = hooks.progress(`${cell.task} ${cell.method} seed ${cell.seed}`, points.length * this.options.config.training.steps);
    try {
      const restored = checkpoints === null ? null : await checkpoints.load(cell);
      let progress = restored?.progress ?? this.freshPoint(0, null);
      if (restored !== null) hooks.log(`cell ${cellLabel(cell)}: resuming search point ${progress.point + 1}/${points.length} at step ${progress.step}`);

      for (let point = progress.point; point < points.length; point++) {
        if (point !== progress.point) progress = this.freshPoint(point, progress);
        const distiller = await this.createDistiller(point);
        try {
          if (restored !== null && point === restored.progress.point) distiller.loadStateDict(restored.state);
          await this.trainPoint(distiller, progress, (step, loss) => bar.update(point * this.options.config.training.steps + step, loss));
          await this.finishPoint(distiller, progress);
        } finally {
          distiller.dispose();
          distiller.student.dispose();
        }
      }
      await checkpoints?.clear(cell);
      return this.result(progress);
    } finally {
      bar.stop();
      this.probe?.dispose();
      this.data.dispose();
    }
  }

  private async trainPoint(distiller: Distiller<Input>, progress: CellProgress, update: (step: number, loss?: number) => void): Promise<void> {
    const { config, cell, checkpoints } = this.options;
    const { steps, evalEvery, checkpointEvery, selection } = config.training;
    const sampler = this.newSampler();
    sampler.setState(progress.sampler);

    while (progress.step < steps) {
      const batch = this.data.trainBatch(sampler.nextBatch());
      try {
        await distiller.step(batch);
      } finally {
        this.task.disposeInput(batch.x);
        batch.y.dispose();
      }
      progress.step++;
      const isLast = progress.step === steps;
      if (progress.step % evalEvery !== 0 && !isLast) {
        update(progress.step);
        continue;
      }

      const averages = await distiller.lossAverages();
      const validation = metricOf(this.task, await distiller.evaluate(this.data.validation));
      progress.curve.push({ step: progress.step, trainLoss: averages.total, taskLoss: averages.task, validationMetric: validation });
      // The evaluation split is measured only where its value may be reported.
      const consider = async (best: Candidate | null): Promise<Candidate | null> => {
        if (best !== null && !better(validation, best.validation, this.task.higherIsBetter)) return best;
        if (Number.isNaN(validation)) return best;
        const evalMetric = metricOf(this.task, await distiller.evaluate(this.task.evaluation));
        return { point: progress.point, step: progress.step, validation, evalMetric };
      };
      if (selection === 'best-on-validation') progress.bestOnValidation = await consider(progress.bestOnValidation);
      if (selection === 'last-step' && isLast) progress.bestLastStep = await consider(progress.bestLastStep);

      progress.sampler = sampler.state();
      if (checkpoints !== null && checkpointEvery > 0 && progress.step % checkpointEvery === 0 && !isLast) {
        progress.elapsedSeconds += this.lap();
        await checkpoints.save(cell, progress, distiller);
      }
      update(progress.step, averages.total);
    }
  }

  private async finishPoint(distiller: Distiller<Input>, progress: CellProgress): Promise<void> {
    const { cell, points, hooks, config } = this.options;
    const higher = this.task.higherIsBetter;
    const best = progress.curve.reduce((a, b) => (better(b.validationMetric, a.validationMetric, higher) ? b : a), progress.curve[0]);
    const hyperparameters = this.options.hyperparameters[progress.point];
    progress.finished.push({
      hyperparameters,
      bestValidationMetric: best.validationMetric,
      bestStep: best.step,
      lastValidationMetric: progress.curve[progress.curve.length - 1].validationMetric,
      curve: progress.curve,
      settings: distiller.describe(),
    });
    hooks.log(
      `cell ${cellLabel(cell)}: search point ${progress.point + 1}/${points.length} ${JSON.stringify(hyperparameters)}: ` +
        `best validation ${this.task.metricName} ${best.validationMetric.toFixed(4)} at step ${best.step}`,
    );
    const selected = config.training.selection === 'best-on-validation' ? progress.bestOnValidation : progress.bestLastStep;
    if (selected?.point === progress.point) await this.options.onSelectedPoint?.(distiller, progress.point);
  }

  private lap(): number {
    const now = performance.now();
    const seconds = (now - this.lapStart) / 1000;
    this.lapStart = now;
    return seconds;
  }

  private result(progress: CellProgress): CellResult {
    const { cell, config } = this.options;
    progress.elapsedSeconds += this.lap();
    const selected = config.training.selection === 'best-on-validation' ? progress.bestOnValidation : progress.bestLastStep;
    const point = progress.finished[selected?.point ?? 0];
    const notes: string[] = [];
    if (selected === null) notes.push('every validation metric was NaN, so the evaluation metric is NaN');
    const teacherHead = point.settings.teacherHead;
    if (typeof teacherHead === 'string') notes.push(`LD teacher head: ${teacherHead}`);
    return {
      cell,
      metricName: this.task.metricName,
      higherIsBetter: this.task.higherIsBetter,
      evalMetric: selected?.evalMetric ?? Number.NaN,
      validationMetric: selected?.validation ?? Number.NaN,
      selection: config.training.selection,
      selectedStep: selected?.step ?? config.training.steps,
      hyperparameters: point.hyperparameters,
      curve: point.curve,
      seconds: progress.elapsedSeconds,
      notes,
      search: progress.finished.map(({ curve: _curve, settings: _settings, ...rest }) => rest),
      settings: point.settings,
    };
  }
}

/** Runs one cell (resuming from its checkpoint when the store has one) and returns its result. */
export async function runCell<Input>(options: RunCellOptions<Input>): Promise<CellResult> {
  return new CellRun(options).run();
}
