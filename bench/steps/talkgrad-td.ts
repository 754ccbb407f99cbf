// Distillation steps of the step benchmark: one Distiller.step of TD and of the
// scratch baseline, for the two teacher/student pairs that the presets train:
//   td-mlp: the MovieLens MLP recommenders of configs/movielens-paper.json
//           (teacher 512/256, student 128/64, batch 256, k = 2 rounds)
//   td-vit: the small ViT pair of configs/demo.json (teacher of 4 blocks, student of
//           its first 2 blocks, batch and communication modules of the preset)
// The teachers have fresh random weights: the step does the same work whatever the
// weights are, and the benchmark must not depend on a pre-trained checkpoint.

import { sharedDistillConfig, type ExperimentConfig } from '../../src/experiments/experiment-config.js';
import { studentFromTeacher } from '../../src/experiments/image-experiment-node.js';
import { searchPoints } from '../../src/experiments/methods.js';
import { loadExperimentConfig } from '../../src/experiments/presets-node.js';
import { MlpRecommender, type RecommenderInput } from '../../src/models/mlp-recommender.js';
import { ViT } from '../../src/models/vit.js';
import { randn, tensor } from '../../src/ops/create.js';
import { Adam } from '../../src/optim/adam.js';
import { createDistiller, type DistillBatch, type Distiller } from '../../src/td/distiller.js';
import type { DistillModel } from '../../src/td/loss-context.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { Rng } from '../../src/util/rng.js';
import type { StepCase } from './protocol.js';
import { BATCHES_IN_CYCLE } from './sizes.js';

/**
 * Vocabulary sizes of MovieLens 100K (943 users, 1682 movies, 19 genres).
 * NOTE: the title-word count is an estimate; it sets only the embedding table size, not the step's work.
 */
const MOVIELENS_VOCAB = { numUsers: 943, numMovies: 1682, numTitleWords: 2500, numGenres: 19 };

export type DistillMethod = 'td' | 'scratch';

/** Wraps a distiller and its batches as a StepCase; the parameter count covers everything the optimizer updates. */
function distillerCase<Input>(model: string, distiller: Distiller<Input>, batches: DistillBatch<Input>[], disposeInput: (x: Input) => void): StepCase {
  let stepIndex = 0;
  return {
    model,
    parameters: distiller.optimizer.params.reduce((n, p) => n + p.size, 0),
    async step() {
      await distiller.step(batches[stepIndex++ % batches.length]);
    },
    async readLoss() {
      return (await distiller.lossAverages()).total;
    },
    dispose() {
      distiller.dispose();
      distiller.student.dispose();
      distiller.teacher.dispose();
      for (const b of batches) {
        disposeInput(b.x);
        b.y.dispose();
      }
    },
  };
}

/** CSR bags of 1 to `maxPerRow` random ids below `vocab` for `rows` examples. */
function randomBag(rng: Rng, rows: number, vocab: number, maxPerRow: number): { ids: Tensor; offsets: Tensor } {
  const offsets = new Int32Array(rows + 1);
  for (let r = 0; r < rows; r++) offsets[r + 1] = offsets[r] + 1 + rng.int(maxPerRow);
  const ids = Int32Array.from({ length: offsets[rows] }, () => rng.int(vocab));
  return { ids: tensor(ids), offsets: tensor(offsets) };
}

function disposeRecommenderInput(x: RecommenderInput): void {
  for (const t of [x.users, x.movies, x.titleWords.ids, x.titleWords.offsets, x.genres.ids, x.genres.offsets]) t.dispose();
}

/** Returns the DistillConfig overrides of the preset's first search point for `method`. */
function distillOverrides(config: ExperimentConfig, method: DistillMethod, seed: number) {
  return searchPoints(method, sharedDistillConfig(config), config.search, config.ablation, seed)[0];
}

export async function mlpDistillCase(method: DistillMethod, seed: number): Promise<StepCase> {
  const config = await loadExperimentConfig({ preset: 'movielens-paper' });
  const { teacher: teacherSizes, student: studentSizes } = config.movielens;
  const batch = config.training.batchSize;
  const rng = new Rng(seed);

  const teacher = new MlpRecommender({ ...MOVIELENS_VOCAB, embeddingDims: { ...teacherSizes.embeddingDims }, hidden: [...teacherSizes.hidden], seed });
  const student = new MlpRecommender({ ...MOVIELENS_VOCAB, embeddingDims: { ...studentSizes.embeddingDims }, hidden: [...studentSizes.hidden], seed: seed + 1 });
  const distiller = createDistiller<RecommenderInput>({
    teacher,
    student,
    task: 'regression',
    config: distillOverrides(config, method, seed),
    optimizer: (params) => new Adam(params, { lr: config.training.lr }),
  });

  const batches = Array.from({ length: BATCHES_IN_CYCLE }, (_, b) => ({
    x: {
      users: tensor(Int32Array.from({ length: batch }, () => rng.int(MOVIELENS_VOCAB.numUsers))),
      movies: tensor(Int32Array.from({ length: batch }, () => rng.int(MOVIELENS_VOCAB.numMovies))),
      titleWords: randomBag(rng, batch, MOVIELENS_VOCAB.numTitleWords, 5),
      genres: randomBag(rng, batch, MOVIELENS_VOCAB.numGenres, 3),
    },
    y: tensor(Float32Array.from({ length: batch }, () => 1 + rng.int(5))),
    index: Array.from({ length: batch }, (_, i) => b * batch + i),
  }));
  return distillerCase(`${method}-mlp`, distiller, batches, disposeRecommenderInput);
}

export async function vitDistillCase(method: DistillMethod, seed: number): Promise<StepCase> {
  const config = await loadExperimentConfig({ preset: 'demo' });
  const teacherConfig = config.images.teacher;
  const task = config.images.tasks[0];
  // Fashion-MNIST images are 28x28 with one channel.
  const imageSize = 28;
  const batch = config.training.batchSize;
  const numClasses = task.downstreamClasses.length;
  const rng = new Rng(seed);

  const teacher = new ViT({ ...teacherConfig.vit, imageSize, channels: 1, numClasses: teacherConfig.classes.length, seed });
  const student = studentFromTeacher(teacher, config.images.student.blocks, config.images.student.split, numClasses, seed + 1);
  const distiller = createDistiller<Tensor>({
    teacher: teacher as DistillModel<Tensor>,
    student: student as DistillModel<Tensor>,
    task: 'classification',
    config: distillOverrides(config, method, seed),
    optimizer: (params) => new Adam(params, { lr: config.training.lr }),
  });

  // Distinct example indices per batch, so the teacher cache (when the preset turns it on) fills during the warm-up.
  const batches = Array.from({ length: BATCHES_IN_CYCLE }, (_, b) => ({
    x: randn([batch, 1, imageSize, imageSize], { rng }),
    y: tensor(Int32Array.from({ length: batch }, () => rng.int(numClasses))),
    index: Array.from({ length: batch }, (_, i) => b * batch + i),
  }));
  return distillerCase(`${method}-vit`, distiller, batches, (x) => x.dispose());
}
