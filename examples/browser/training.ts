// The demo's training runs: the teacher (loaded from a shipped checkpoint, or
// pre-trained here), then one student per method through the library's Distiller.
// Progress goes to a ProgressSink, which the page turns into the chart and tables.

import {
  crossEntropy,
  decodeModelCheckpoint,
  EpochSampler,
  noGrad,
  optim,
  td,
  tidy,
  type ImageDataset,
  type Tensor,
} from '../../src/index.browser.js';
import type { DemoConfig } from './config.js';
import { disposeBatches, fetchBytes, fixedBatches, makeBatch } from './data.js';
import { createModel, describeModel, modelConfig, predict, teacherCheckpointModel, type DemoModel, type ModelSize } from './models.js';

/**
 * URL of the shipped teacher: a checkpoint written by encodeModelCheckpoint. Its
 * "config" metadata entry is the CLI's teacher info, a VitConfig or a StagedMlpConfig.
 */
export const TEACHER_URL = '../../data/teachers/fashion-mnist-vit.safetensors';

type Batch = td.DistillBatch<Tensor>;

export interface ProgressSink {
  lossPoint(series: string, step: number, loss: number): void;
  accuracyPoint(series: string, step: number, accuracy: number): void;
  status(text: string): void;
}

export interface Teacher {
  model: DemoModel;
  /** The head used in place of the teacher's own when that predicts other classes than the demo's 10. */
  head: td.LinearProbe | null;
  /** Patch size of a ViT teacher; a ViT student must use the same to get the same tokens. */
  patchSize: number | null;
  /** Origin of the teacher (loaded or pre-trained, and why), shown on the page. */
  origin: string;
  /** Pre-training steps taken in the page; 0 for a loaded teacher. */
  steps: number;
  accuracy: number;
}

export interface MethodResult {
  method: td.MethodName;
  accuracy: number;
  /** Mean task loss (cross-entropy on the labels) over the last chart interval. */
  taskLoss: number;
  seconds: number;
  studentParameters: number;
  communicationParameters: number;
}

/** Returns the fraction of correctly classified examples, in eval mode; `head` replaces the model's own. */
export async function accuracy(model: DemoModel, batches: Batch[], head: td.TeacherHead | null = null): Promise<number> {
  const wasTraining = model.training;
  model.eval();
  let correct = 0;
  let count = 0;
  try {
    for (const batch of batches) {
      const logits = noGrad(() =>
        tidy(() => {
          if (head === null) return predict(model, batch.x);
          return head.forward(model.upper(model.lower(batch.x)));
        }),
      );
      const classes = logits.shape[1];
      const [values, labels] = await Promise.all([logits.data(), batch.y.dataInt32()]);
      logits.dispose();
      for (let i = 0; i < labels.length; i++) {
        const row = values.subarray(i * classes, (i + 1) * classes);
        if (row.indexOf(Math.max(...row)) === labels[i]) correct++;
      }
      count += labels.length;
    }
  } finally {
    model.train(wasTraining);
  }
  return correct / count;
}

interface LoadedTeacher {
  model: DemoModel | null;
  classes: number;
  patchSize: number | null;
  reason: string;
}

/** Loads the shipped teacher checkpoint; returns a null model with the reason when it is absent or unusable. */
async function loadTeacher(): Promise<LoadedTeacher> {
  let bytes: Uint8Array;
  try {
    bytes = await fetchBytes(TEACHER_URL);
  } catch (error) {
    return { model: null, classes: 10, patchSize: null, reason: `no shipped teacher (${(error as Error).message})` };
  }
  const checkpoint = decodeModelCheckpoint(bytes, TEACHER_URL);
  const found = teacherCheckpointModel(checkpoint.config);
  if (found === null) {
    const kind = JSON.stringify((checkpoint.config as { kind?: unknown } | undefined)?.kind ?? null);
    const reason = `${TEACHER_URL} is not a model for 28x28 grayscale images (config kind ${kind})`;
    return { model: null, classes: 10, patchSize: null, reason };
  }
  const model = createModel(found.config);
  model.loadStateDict(checkpoint.stateDict);
  const patchSize = 'patchSize' in found.config ? found.config.patchSize : null;
  return { model, classes: found.classes, patchSize, reason: `loaded ${TEACHER_URL} (${found.description})` };
}

/** Pre-trains a teacher with Adam on the task loss alone. */
async function pretrainTeacher(config: DemoConfig, train: ImageDataset, sink: ProgressSink): Promise<DemoModel> {
  const model = createModel(modelConfig(config.teacher, 1));
  const optimizer = new optim.Adam(model.parameters(), { lr: config.learningRate });
  const sampler = new EpochSampler({ size: Math.min(config.trainExamples, train.n), batchSize: config.batchSize, seed: 11 });

  let sum = 0;
  for (let step = 1; step <= config.teacherSteps; step++) {
    const batch = makeBatch(train, sampler.nextBatch());
    optimizer.zeroGrad();
    const loss = tidy(() => {
      const value = crossEntropy(predict(model, batch.x), batch.y);
      value.backward();
      optimizer.step();
      return value;
    });
    sum += await loss.item();
    for (const t of [loss, batch.x, batch.y]) t.dispose();
    if (step % config.chartEvery === 0) {
      sink.lossPoint('teacher', step, sum / config.chartEvery);
      sink.status(`pre-training the teacher: step ${step} of ${config.teacherSteps}`);
      sum = 0;
    }
  }
  optimizer.dispose();
  return model;
}

/**
 * Returns the shipped teacher when the preset uses it and it loads, and otherwise
 * pre-trains one here. A teacher whose head predicts other classes gets a linear probe
 * on e_h as its head for label distillation.
 */
export async function obtainTeacher(config: DemoConfig, train: ImageDataset, test: Batch[], sink: ProgressSink): Promise<Teacher> {
  let loaded: LoadedTeacher = { model: null, classes: 10, patchSize: null, reason: config.skipShippedTeacher ?? '' };
  if (config.skipShippedTeacher === null) {
    sink.status(`looking for a teacher checkpoint at ${TEACHER_URL}`);
    loaded = await loadTeacher();
  }

  let model = loaded.model;
  let origin = loaded.reason;
  let patchSize = loaded.patchSize;
  let steps = 0;
  if (model === null) {
    const size = config.teacher;
    model = await pretrainTeacher(config, train, sink);
    const description = describeModel(modelConfig(size, 1));
    origin = `${loaded.reason}, so a teacher (${description}) was pre-trained in this page for ${config.teacherSteps} steps`;
    patchSize = size.kind === 'vit' ? size.patchSize : null;
    steps = config.teacherSteps;
  }

  let head: td.LinearProbe | null = null;
  if (loaded.model !== null && loaded.classes !== 10) {
    sink.status(`fitting a linear probe on the teacher's states for the 10 classes`);
    const probeBatches = fixedBatches(train, config.trainExamples, config.batchSize);
    const options = { task: 'classification', classes: 10, epochs: config.probeEpochs, tokenPooling: 'first' } as const;
    head = await td.fitLinearProbe(model, probeBatches, options);
    disposeBatches(probeBatches);
    origin += `. Its head predicts ${loaded.classes} classes, so a ${head.description} replaces it`;
  }
  return { model, head, patchSize, origin, steps, accuracy: await accuracy(model, test, head) };
}

/** Returns the student's size, with a ViT student's patch size set to the ViT teacher's. */
function studentSize(config: DemoConfig, teacher: Teacher): ModelSize {
  const size = config.student;
  return size.kind === 'vit' && teacher.patchSize !== null ? { ...size, patchSize: teacher.patchSize } : size;
}

/** Trains one student with `method` against the frozen teacher. */
export async function trainMethod(
  method: td.MethodName,
  config: DemoConfig,
  teacher: Teacher,
  train: ImageDataset,
  test: Batch[],
  sink: ProgressSink,
): Promise<MethodResult> {
  const started = performance.now();
  // The same seed for every method, so all students start from the same weights.
  const student = createModel(modelConfig(studentSize(config, teacher), 2));
  const distiller = td.createDistiller({
    teacher: teacher.model,
    ...(teacher.head === null ? {} : { teacherHead: teacher.head }),
    student,
    task: 'classification',
    config: { ...config.distill, method, messageDim: config.messageDim, hiddenDim: config.communicationHidden, seed: 3 },
    optimizer: (params) => new optim.Adam(params, { lr: config.learningRate }),
  });
  const sampler = new EpochSampler({ size: Math.min(config.trainExamples, train.n), batchSize: config.batchSize, seed: 12 });

  let taskLoss = Number.NaN;
  let latestAccuracy = Number.NaN;
  try {
    for (let step = 1; step <= config.steps; step++) {
      const batch = makeBatch(train, sampler.nextBatch());
      await distiller.step(batch);
      batch.x.dispose();
      batch.y.dispose();

      if (step % config.chartEvery === 0) {
        const averages = await distiller.lossAverages();
        taskLoss = averages.task ?? averages.total;
        sink.lossPoint(method, step, taskLoss);
        sink.status(`training the ${method} student: step ${step} of ${config.steps}`);
      }
      if (step % config.evalEvery === 0 || step === config.steps) {
        latestAccuracy = await accuracy(student, test);
        sink.accuracyPoint(method, step, latestAccuracy);
      }
    }
    return {
      method,
      accuracy: latestAccuracy,
      taskLoss,
      seconds: (performance.now() - started) / 1000,
      studentParameters: student.numParameters(),
      communicationParameters: Number(distiller.describe().communicationParameters ?? 0),
    };
  } finally {
    distiller.dispose();
    student.dispose();
  }
}
