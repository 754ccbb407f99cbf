// The training loop shared by TD and every baseline: one step runs the student's
// forward pass, the method's loss, backward, and one optimizer update of the student
// and the communication modules. Methods differ only in the loss function.
//
// Ramp-up schedule (all steps count from 0):
//   [0, studentOnlySteps)                           student alone, task loss only
//   [.., + communicationOnlySteps)                  student frozen, method loss (trains E/D)
//   after that                                      everything, method loss

import { checkAnomalies } from '../autograd/anomaly.js';
import { isAnomalyDetectionEnabled, noGrad } from '../autograd/grad-mode.js';
import { randn } from '../ops/create.js';
import { concat } from '../ops/shape-ops.js';
import type { Optimizer } from '../optim/optimizer.js';
import { clipGradNorm } from '../optim/clip.js';
import { keep, tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { Rng } from '../util/rng.js';
import { fdLoss, fitnetLoss, hybridLoss, ldLoss, scratchLoss } from './baselines.js';
import { createCommunicationModules, type CommunicationModules } from './communication-modules.js';
import { methodKeys, resolveDistillConfig, type DistillConfig, type MethodName } from './config.js';
import { LOSS_PART_NAMES, type DistillModel, type LossContext, type LossParts, type StudentForward } from './loss-context.js';
import { StateLayout } from './state.js';
import { talkingLoss } from './talking.js';
import { resolveTask, type Task } from './task.js';
import { TeacherCache, type TeacherOutputs } from './teacher-cache.js';
import { distillerStateDict, loadDistillerStateDict, type DistillerState } from './checkpoint.js';
import { evaluatePredictions, type EvalBatches } from './evaluate.js';

/** One training batch. */
export interface DistillBatch<Input> {
  x: Input;
  /** Targets: float32 [batch] for regression, int32 [batch] class ids for classification. */
  y: Tensor;
  /** Dataset index of each example; required when cacheTeacher is on. */
  index?: ArrayLike<number>;
}

/** A replacement for the teacher's head on e_h, e.g. a linear probe where its own head does not fit the labels. */
export interface TeacherHead {
  forward(e: Tensor): Tensor;
  /** Description of the head for result files, e.g. "linear probe on e_h (5 epochs, ...)". */
  description: string;
}

export interface DistillerOptions<Input> {
  teacher: DistillModel<Input>;
  student: DistillModel<Input>;
  task: 'regression' | 'classification' | Task;
  config?: Partial<DistillConfig>;
  /** Builds the optimizer over the student's and the communication modules' parameters. */
  optimizer: (params: Tensor[]) => Optimizer;
  /** Produces y_h for label distillation in place of teacher.head. */
  teacherHead?: TeacherHead;
  /** Clip the global gradient norm to this value before each update; absent means no clipping. */
  maxGradNorm?: number;
  /** Throw from lossAverages() when a loss average is NaN or Inf (default true). */
  stopOnNonFiniteLoss?: boolean;
}

export type Stage = 'studentOnly' | 'communicationOnly' | 'joint';

export interface StepResult {
  /** Index of the step just taken (0 for the first). */
  step: number;
  stage: Stage;
  /** Loss parts of this step; they stay valid until the next step() call. */
  losses: LossParts;
  /** Gradient norm before clipping (only with maxGradNorm). */
  gradNorm?: Tensor;
  /** False when nothing in the loss had a trainable parameter (e.g. a baseline without communication modules during the communication-only stage). */
  updated: boolean;
}

type MethodLoss = <Input>(ctx: LossContext<Input>, forward: StudentForward, target: Tensor) => LossParts;

const METHOD_LOSSES: Record<MethodName, MethodLoss> = {
  scratch: scratchLoss,
  ld: ldLoss,
  fd: fdLoss,
  fitnet: fitnetLoss,
  hybrid: hybridLoss,
  td: talkingLoss,
};

export class Distiller<Input> {
  readonly config: DistillConfig;
  readonly task: Task;
  readonly teacher: DistillModel<Input>;
  readonly student: DistillModel<Input>;
  readonly modules: CommunicationModules;
  readonly optimizer: Optimizer;
  readonly studentLayout: StateLayout;
  readonly teacherLayout: StateLayout;
  private readonly teacherHead: TeacherHead | null;
  private readonly maxGradNorm: number | null;
  private readonly noiseRng: Rng;
  /** Generator of the communication modules' initial weights, then of their dropout seeds. */
  private readonly moduleRng: Rng;
  private readonly stopOnNonFiniteLoss: boolean;
  private readonly cache: TeacherCache | null;
  private steps = 0;
  private lastResult: StepResult | null = null;
  /** Running sum of each loss part on the GPU and the number of steps that computed it. */
  private readonly lossSums = new Map<string, { sum: Tensor; steps: number }>();

  constructor(options: DistillerOptions<Input>) {
    this.config = resolveDistillConfig(options.config);
    this.task = resolveTask(options.task);
    this.teacher = options.teacher;
    this.student = options.student;
    this.teacherHead = options.teacherHead ?? null;
    this.maxGradNorm = options.maxGradNorm ?? null;
    this.stopOnNonFiniteLoss = options.stopOnNonFiniteLoss ?? true;
    if (this.maxGradNorm !== null && !(this.maxGradNorm > 0)) throw new Error(`createDistiller: maxGradNorm must be > 0, got ${this.maxGradNorm}`);

    const teacherParams = new Set(this.teacher.parameters());
    if (this.student.parameters().some((p) => teacherParams.has(p))) {
      throw new Error('createDistiller: the student shares parameter tensors with the teacher; copy the weights (loadStateDict) instead of sharing them');
    }
    this.teacher.freeze();

    const { stateJoin, tokenCount } = this.config;
    this.studentLayout = new StateLayout(stateJoin, this.student.stateDims, tokenCount);
    this.teacherLayout = new StateLayout(stateJoin, this.teacher.stateDims, tokenCount);
    this.moduleRng = new Rng(this.config.seed);
    this.modules = createCommunicationModules(this.config, this.studentLayout, this.teacherLayout, this.moduleRng);
    // A separate stream for the noise, so turning noise on does not change the initial weights.
    this.noiseRng = new Rng((this.config.seed ^ 0x5bd1e995) >>> 0);
    this.cache = this.config.cacheTeacher ? new TeacherCache() : null;

    const params = [...new Set([...this.student.parameters(), ...this.modules.named.flatMap(([, m]) => m.parameters())])];
    this.optimizer = options.optimizer(params);
  }

  /** Steps taken so far. */
  get stepCount(): number {
    return this.steps;
  }

  get method(): MethodName {
    return this.config.method;
  }

  /** Returns the schedule stage of a step index. */
  stageAt(step: number): Stage {
    if (step < this.config.studentOnlySteps) return 'studentOnly';
    if (step < this.config.studentOnlySteps + this.config.communicationOnlySteps) return 'communicationOnly';
    return 'joint';
  }

  /** Returns whether the method's loss at this step runs the teacher on x (rather than only on decoded states). */
  private needsTeacherOnX(stage: Stage, step: number): boolean {
    const c = this.config;
    if (stage === 'studentOnly') return false;
    switch (c.method) {
      case 'scratch':
        return false;
      case 'td':
        return (c.consistencyUntilStep === null || step < c.consistencyUntilStep) && (c.wSC > 0 || c.wMC > 0);
      case 'fitnet':
        return c.fitnetHintSteps === 0 || this.jointStepOf(step) < c.fitnetHintSteps;
      default:
        return true;
    }
  }

  private needsTeacherPrediction(): boolean {
    return this.config.method === 'ld' || this.config.method === 'hybrid';
  }

  private jointStepOf(step: number): number {
    return Math.max(step - this.config.studentOnlySteps - this.config.communicationOnlySteps, 0);
  }

  /** Runs the teacher on x without gradients: s_h, e_h and, when requested, y_h. */
  private teacherForward(x: Input, withPrediction: boolean): TeacherOutputs {
    return noGrad(() => {
      const s = this.teacher.lower(x);
      const e = this.teacher.upper(s);
      const y = withPrediction ? (this.teacherHead?.forward(e) ?? this.teacher.head(e)) : null;
      return { s, e, y };
    });
  }

  private setModes(): void {
    this.student.train();
    for (const [, module] of this.modules.named) module.train();
    this.teacher.train(this.config.teacherMode === 'train');
  }

  /**
   * Runs one training step: forward, the method's loss, backward and one optimizer
   * update. With setDetectAnomaly(true) it also reads the anomaly flags and throws,
   * naming the first op that produced a NaN or Inf, so the run stops at that step.
   */
  async step(batch: DistillBatch<Input>): Promise<StepResult> {
    const step = this.steps;
    const stage = this.stageAt(step);
    if (this.cache !== null && this.needsTeacherOnX(stage, step)) await this.fillCache(batch);

    this.disposeLastResult();
    const result = tidy(() => this.runStep(batch, step, stage));
    this.steps++;
    this.lastResult = result;
    // The optimizer step has submitted the step; these few adds go with the next submit.
    this.addToLossSums(result.losses);
    if (isAnomalyDetectionEnabled()) {
      try {
        await checkAnomalies();
      } catch (error) {
        throw new Error(`Distiller.step ${step}: ${(error as Error).message}`, { cause: error });
      }
    }
    return result;
  }

  private async fillCache(batch: DistillBatch<Input>): Promise<void> {
    const cache = this.cache as TeacherCache;
    if (batch.index === undefined) throw new Error('Distiller.step: cacheTeacher needs batch.index (the dataset index of each example)');
    if (cache.has(batch.index)) return;
    this.teacher.train(this.config.teacherMode === 'train');
    const outputs = tidy(() => this.teacherForward(batch.x, this.needsTeacherPrediction()));
    try {
      await cache.store(batch.index, outputs);
    } finally {
      outputs.s.dispose();
      outputs.e.dispose();
      outputs.y?.dispose();
    }
  }

  private runStep(batch: DistillBatch<Input>, step: number, stage: Stage): StepResult {
    this.setModes();
    this.optimizer.zeroGrad();
    const studentParams = this.student.parameters();
    const flags = studentParams.map((p) => p.requiresGrad);
    if (stage === 'communicationOnly') for (const p of studentParams) p.requiresGrad_(false);

    try {
      const s = this.student.lower(batch.x);
      const e = this.student.upper(s);
      const forward: StudentForward = { s, e, y: this.student.head(e) };
      const ctx = this.lossContext(batch, step);
      const parts = stage === 'studentOnly' ? scratchLoss(ctx, forward, batch.y) : METHOD_LOSSES[this.config.method](ctx, forward, batch.y);

      let gradNorm: Tensor | undefined;
      const updated = parts.total.requiresGrad;
      if (updated) {
        parts.total.backward();
        if (this.maxGradNorm !== null) gradNorm = keep(clipGradNorm(this.optimizer.params, this.maxGradNorm));
        this.optimizer.step();
      }
      // Detached views outlive the tidy around this step, while the graph is freed.
      const losses = Object.fromEntries(Object.entries(parts).map(([name, t]) => [name, keep((t as Tensor).detach())])) as unknown as LossParts;
      return { step, stage, losses, updated, ...(gradNorm === undefined ? {} : { gradNorm }) };
    } finally {
      studentParams.forEach((p, i) => p.requiresGrad_(flags[i]));
    }
  }

  private lossContext(batch: DistillBatch<Input>, step: number): LossContext<Input> {
    let teacherOut: TeacherOutputs | null = null;
    const teacherOutputs = (withPrediction: boolean): TeacherOutputs => {
      if (teacherOut === null) {
        teacherOut = this.cache !== null ? this.cache.get(batch.index as ArrayLike<number>) : this.teacherForward(batch.x, withPrediction);
      }
      if (withPrediction && teacherOut.y === null) {
        const e = teacherOut.e;
        teacherOut.y = noGrad(() => this.teacherHead?.forward(e) ?? this.teacher.head(e));
      }
      return teacherOut;
    };
    return {
      config: this.config,
      task: this.task,
      teacher: this.teacher,
      student: this.student,
      modules: this.modules,
      studentLayout: this.studentLayout,
      teacherLayout: this.teacherLayout,
      step,
      jointStep: this.jointStepOf(step),
      teacherOutputs,
      noise: (shape) => randn([...shape], { std: this.config.noiseStd, rng: this.noiseRng }),
    };
  }

  private disposeLastResult(): void {
    if (this.lastResult === null) return;
    for (const t of Object.values(this.lastResult.losses)) (t as Tensor).dispose();
    this.lastResult.gradNorm?.dispose();
    this.lastResult = null;
  }

  private addToLossSums(losses: LossParts): void {
    noGrad(() => {
      for (const [name, t] of Object.entries(losses) as [string, Tensor][]) {
        const previous = this.lossSums.get(name);
        const sum = keep(previous === undefined ? t.clone() : previous.sum.add(t));
        previous?.sum.dispose();
        this.lossSums.set(name, { sum, steps: (previous?.steps ?? 0) + 1 });
      }
    });
  }

  /**
   * Reads back the mean of each loss part since the last call (one GPU read for all
   * parts) and starts new sums. Each part is averaged over the steps that computed it.
   */
  async lossAverages(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    const names = LOSS_PART_NAMES.filter((name) => this.lossSums.has(name));
    if (names.length > 0) {
      const joined = tidy(() => noGrad(() => concat(names.map((name) => this.lossSums.get(name)!.sum.reshape([1])))));
      const sums = await joined.data();
      joined.dispose();
      names.forEach((name, i) => (out[name] = sums[i] / this.lossSums.get(name)!.steps));
    }
    const steps = this.lossSums.get('total')?.steps ?? 0;
    this.clearLossSums();
    const bad = Object.entries(out).find(([, value]) => !Number.isFinite(value));
    if (bad !== undefined && this.stopOnNonFiniteLoss) {
      throw new Error(
        `Distiller.lossAverages: loss '${bad[0]}' averaged ${bad[1]} over the ${steps} steps up to step ${this.steps}; ` +
          'the training diverged. Lower the learning rate or set maxGradNorm, and run with setDetectAnomaly(true) to find the first op that produced NaN or Inf',
      );
    }
    return out;
  }

  private clearLossSums(): void {
    for (const { sum } of this.lossSums.values()) sum.dispose();
    this.lossSums.clear();
  }

  /** Returns the student's prediction y_g in eval mode, without gradients. */
  predict(x: Input): Tensor {
    const mode = this.student.training;
    this.student.eval();
    try {
      return noGrad(() => tidy(() => this.student.head(this.student.upper(this.student.lower(x)))));
    } finally {
      this.student.train(mode);
    }
  }

  /** Evaluates the student on `batches` (eval mode): the task's metrics and the example count. */
  async evaluate(batches: EvalBatches<Input>): Promise<Record<string, number>> {
    return evaluatePredictions((x) => this.predict(x), batches, this.task);
  }

  /**
   * The representations of the CKA analysis on x, in eval mode without gradients:
   * s_h, e_h of the teacher and s_g, e_g and (where the method has E_g) m_g of the student.
   */
  representations(x: Input): Record<string, Tensor> {
    const modes = [this.student.training, this.teacher.training];
    this.student.eval();
    this.teacher.eval();
    const encoder = this.modules.studentEncoder;
    const encoderMode = encoder?.training ?? false;
    encoder?.eval();
    try {
      return noGrad(() =>
        tidy(() => {
          const teacherOut = this.teacherForward(x, false);
          const sG = this.student.lower(x);
          const eG = this.student.upper(sG);
          const out: Record<string, Tensor> = { s_h: teacherOut.s, e_h: teacherOut.e, s_g: sG, e_g: eG };
          if (encoder !== null) out.m_g = encoder.forward(this.studentLayout.joinState({ s: sG, e: eG }, 'representations'));
          return out;
        }),
      );
    } finally {
      this.student.train(modes[0]);
      this.teacher.train(modes[1]);
      encoder?.train(encoderMode);
    }
  }

  /** Settings that define this run, for logs and result files. */
  describe(): Record<string, unknown> {
    const settings = Object.fromEntries(methodKeys(this.config.method).map((key) => [key, this.config[key]]));
    return {
      ...settings,
      ...(this.teacherHead !== null && this.needsTeacherPrediction() ? { teacherHead: this.teacherHead.description } : {}),
      ...(this.config.method === 'fitnet' ? { fitnetTraining: this.config.fitnetHintSteps > 0 ? 'two-stage hint training' : 'one stage with the task loss' } : {}),
      communicationParameters: this.modules.named.reduce((n, [, m]) => n + m.numParameters(), 0),
    };
  }

  /** Returns all trainable state for a checkpoint: student, communication modules, optimizer, step, and the noise and dropout-seed generators. */
  stateDict(): DistillerState {
    return distillerStateDict(this);
  }

  /** Restores a checkpoint taken by stateDict() of a distiller with the same method and shapes. */
  loadStateDict(state: DistillerState): void {
    loadDistillerStateDict(this, state);
  }

  /** Current step and the states of the noise and dropout-seed generators, restored by checkpoints. */
  get progress(): { step: number; noiseRngState: number; moduleRngState: number } {
    return { step: this.steps, noiseRngState: this.noiseRng.state(), moduleRngState: this.moduleRng.state() };
  }

  /** Restores the step counter and the generators (see checkpoint.ts); without moduleRngState the dropout seeds are not restored. */
  restoreProgress(progress: { step: number; noiseRngState: number; moduleRngState?: number }): void {
    this.steps = progress.step;
    this.noiseRng.setState(progress.noiseRngState);
    if (progress.moduleRngState !== undefined) this.moduleRng.setState(progress.moduleRngState);
  }

  /** Frees the communication modules, the optimizer state, the cache and the last step's losses. */
  dispose(): void {
    this.disposeLastResult();
    this.clearLossSums();
    for (const [, module] of this.modules.named) module.dispose();
    this.optimizer.dispose();
    this.cache?.clear();
  }
}

/** Builds a distiller: the teacher is frozen, the communication modules and the optimizer are created. */
export function createDistiller<Input>(options: DistillerOptions<Input>): Distiller<Input> {
  return new Distiller(options);
}
