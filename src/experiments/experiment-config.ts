// The config of an experiment run by `talkgrad pretrain`, `distill` and `compare`.
// Every key has a default here. A preset file and a user file are merged over them
// with resolveConfig, which rejects an unknown key, a wrong type or an out-of-range
// value with its key path before any work starts.

import { DEFAULT_DISTILL_CONFIG, METHOD_NAMES, resolveDistillConfig, type DistillConfig } from '../td/config.js';
import { checks, resolveConfig, type Json, type RangeCheck } from './config-schema.js';
import { ABLATION_NAMES } from './methods.js';

export type ImageDatasetName = 'fashion-mnist' | 'cifar10' | 'cifar100';

/** One downstream image task: a data set and the classes the student learns from few labels. */
export interface ImageTaskConfig {
  name: string;
  dataset: ImageDatasetName;
  /** Data folder; null uses --data, then $TALKGRAD_DATA (and for Fashion-MNIST the Debian folder and the embedded subset). */
  dataPath: string | null;
  /** Fashion-MNIST only: 'embedded' always uses the subset shipped in data/fashion-mnist-subset. */
  source: 'auto' | 'embedded';
  /** Classes of the student's task, in label order. An empty list means every class of the data set. */
  downstreamClasses: number[];
  /** Classes the teacher was pre-trained on when they come from the same data set; they must not overlap downstreamClasses. */
  pretrainClasses: number[];
  labelsPerClass: number;
  validationPerClass: number;
  /** Test images per class used for evaluation; 0 uses every test image of the downstream classes. */
  evaluationPerClass: number;
}

export interface VitSizes {
  patchSize: number;
  dim: number;
  heads: number;
  depth: number;
  mlpDim: number;
  /** Blocks in the lower stage (s is the output of the first `split` blocks). */
  split: number;
}

export interface ExperimentConfig {
  /** Run name; the default run folder is runs/<name>. */
  name: string;
  task: 'images' | 'movielens';
  seeds: number[];
  /** Main methods, compared in the methods table. */
  methods: string[];
  /** TD ablation variants, compared in the ablation table. */
  ablations: string[];
  training: {
    /** Optimizer steps of every student, the same for every method. */
    steps: number;
    batchSize: number;
    /** Adam learning rate of the student and the communication modules. */
    lr: number;
    /** Steps between two validations (and points of the curves). */
    evalEvery: number;
    /** Steps between two checkpoints inside a cell; a multiple of evalEvery, 0 turns them off. */
    checkpointEvery: number;
    /** Examples per batch when validating and evaluating. */
    evalBatchSize: number;
    /** 'best-on-validation' reports the evaluation metric at the validation's best step and search point. */
    selection: 'best-on-validation' | 'last-step';
  };
  /** Settings of createDistiller shared by every method (method and seed are set per cell). */
  distill: Record<string, Json>;
  /** Hyper-parameter search per distillation method: a list of DistillConfig overrides. Every list has the same length. */
  search: Record<string, Record<string, Json>[]>;
  /** Settings of the ablation variants td-noise and td-rampup. */
  ablation: { noiseStd: number; studentOnlySteps: number; communicationOnlySteps: number };
  images: {
    tasks: ImageTaskConfig[];
    teacher: {
      /** Teacher checkpoint from `talkgrad pretrain`; null pre-trains one into the run folder. */
      checkpoint: string | null;
      /** Hugging Face ViT folder (config.json, model.safetensors); used instead of checkpoint when set. */
      huggingFace: string | null;
      /** Data set, classes and ViT sizes of pre-training. */
      dataset: ImageDatasetName;
      dataPath: string | null;
      source: 'auto' | 'embedded';
      classes: number[];
      vit: VitSizes;
      steps: number;
      batchSize: number;
      lr: number;
      seed: number;
    };
    /** Student blocks, initialized from the teacher's first blocks, and its split point. */
    student: { blocks: number; split: number };
    /** Linear probe for LD and hybrid, whose teacher head does not fit the downstream classes. */
    probe: { epochs: number; lr: number; tokenPooling: 'first' | 'mean' };
  };
  movielens: {
    dataPath: string | null;
    /** Latest fraction of ratings kept for evaluation, and latest fraction of the rest for validation. */
    evalFraction: number;
    validationFraction: number;
    /** Downstream genres: those with more evaluation ratings than this, densest first. */
    minEvalRatings: number;
    /** Keep at most this many of them; 0 keeps all. */
    maxGenres: number;
    teacher: {
      checkpoint: string | null;
      embeddingDims: { user: number; movie: number; title: number; genre: number };
      hidden: number[];
      steps: number;
      batchSize: number;
      lr: number;
      seed: number;
    };
    student: { embeddingDims: { user: number; movie: number; title: number; genre: number }; hidden: number[] };
  };
  cka: {
    /** compare writes the CKA heatmap of the TD student of the first seed. */
    enabled: boolean;
    examplesPerClass: number;
  };
}

export const MAIN_METHODS = METHOD_NAMES as readonly string[];

// The distill section accepts every DistillConfig key except the per-cell ones.
// `reductions` lists each loss with null (no override), so resolveConfig accepts exactly these keys.
const DISTILL_DEFAULTS: Record<string, Json> = (() => {
  const { method: _method, seed: _seed, reductions: _reductions, ...rest } = DEFAULT_DISTILL_CONFIG;
  const reductions = { interact: null, stateConsistency: null, messageConsistency: null, logit: null, feature: null, fitnet: null };
  return { ...(rest as unknown as Record<string, Json>), reductions, messageDim: 32, hiddenDim: 64, cacheTeacher: true };
})();

export const DEFAULT_EXPERIMENT: ExperimentConfig = {
  name: 'images',
  task: 'images',
  seeds: [0, 1, 2],
  methods: [...MAIN_METHODS],
  ablations: [...ABLATION_NAMES],
  training: { steps: 200, batchSize: 32, lr: 1e-3, evalEvery: 50, checkpointEvery: 50, evalBatchSize: 250, selection: 'best-on-validation' },
  distill: DISTILL_DEFAULTS,
  search: {
    ld: [{ wLogit: 0.5 }, { wLogit: 1 }],
    fd: [{ wFeature: 0.5 }, { wFeature: 1 }],
    fitnet: [{ wFitnet: 0.5 }, { wFitnet: 1 }],
    hybrid: [{ wLogit: 0.5, wFeature: 0.5 }, { wLogit: 1, wFeature: 1 }],
    td: [
      { wInteract: 0.5, wSC: 0.5, wMC: 0.5 },
      { wInteract: 1, wSC: 1, wMC: 1 },
    ],
  },
  ablation: { noiseStd: 0.1, studentOnlySteps: 50, communicationOnlySteps: 25 },
  images: {
    tasks: [
      {
        name: 'fashion-mnist-5to9',
        dataset: 'fashion-mnist',
        dataPath: null,
        source: 'auto',
        downstreamClasses: [5, 6, 7, 8, 9],
        pretrainClasses: [0, 1, 2, 3, 4],
        labelsPerClass: 20,
        validationPerClass: 20,
        evaluationPerClass: 0,
      },
    ],
    teacher: {
      checkpoint: null,
      huggingFace: null,
      dataset: 'fashion-mnist',
      dataPath: null,
      source: 'auto',
      classes: [0, 1, 2, 3, 4],
      vit: { patchSize: 7, dim: 32, heads: 4, depth: 4, mlpDim: 64, split: 1 },
      steps: 600,
      batchSize: 64,
      lr: 2e-3,
      seed: 1,
    },
    student: { blocks: 2, split: 1 },
    probe: { epochs: 20, lr: 1e-2, tokenPooling: 'first' },
  },
  movielens: {
    dataPath: null,
    evalFraction: 0.1,
    validationFraction: 0.1,
    minEvalRatings: 500,
    maxGenres: 0,
    teacher: {
      checkpoint: null,
      embeddingDims: { user: 100, movie: 100, title: 50, genre: 50 },
      hidden: [512, 256],
      steps: 2000,
      batchSize: 256,
      lr: 1e-3,
      seed: 1,
    },
    student: { embeddingDims: { user: 32, movie: 32, title: 16, genre: 16 }, hidden: [128, 64] },
  },
  cka: { enabled: true, examplesPerClass: 20 },
};

// Defaults of each entry of images.tasks: a task without class lists uses every class
// of its data set and checks no overlap with the teacher's classes.
const IMAGE_TASK_DEFAULTS: ImageTaskConfig = { ...DEFAULT_EXPERIMENT.images.tasks[0], downstreamClasses: [], pretrainClasses: [] };

const positiveInts: RangeCheck = (v) =>
  Array.isArray(v) && v.length > 0 && v.every((x) => Number.isInteger(x) && x > 0) ? null : 'must be a non-empty list of positive integers';
const classList: RangeCheck = (v) =>
  Array.isArray(v) && v.every((x) => Number.isInteger(x) && x >= 0) ? null : 'must be a list of class ids (integers >= 0)';
const uniqueInts: RangeCheck = (v) =>
  Array.isArray(v) && v.length > 0 && v.every((x) => Number.isInteger(x)) && new Set(v).size === v.length
    ? null
    : 'must be a non-empty list of distinct integers';
const nonEmptyName: RangeCheck = (v) => (typeof v === 'string' && /^[A-Za-z0-9_.-]+$/.test(v) ? null : 'must be a non-empty name of letters, digits, _ . -');
const fraction: RangeCheck = (v) => (typeof v === 'number' && v > 0 && v < 1 ? null : 'must be in (0, 1)');

const CHECKS: Record<string, RangeCheck> = {
  name: nonEmptyName,
  task: checks.oneOf('images', 'movielens'),
  seeds: uniqueInts,
  methods: checks.subsetOf(...MAIN_METHODS),
  ablations: checks.subsetOf(...ABLATION_NAMES),
  'training.steps': checks.positiveInt,
  'training.batchSize': checks.positiveInt,
  'training.lr': checks.positive,
  'training.evalEvery': checks.positiveInt,
  'training.checkpointEvery': checks.nonNegativeInt,
  'training.evalBatchSize': checks.positiveInt,
  'training.selection': checks.oneOf('best-on-validation', 'last-step'),
  'ablation.noiseStd': checks.nonNegative,
  'ablation.studentOnlySteps': checks.nonNegativeInt,
  'ablation.communicationOnlySteps': checks.nonNegativeInt,
  'images.tasks': (v) => (Array.isArray(v) && v.length > 0 ? null : 'must be a non-empty list of tasks'),
  'images.teacher.dataset': checks.oneOf('fashion-mnist', 'cifar10', 'cifar100'),
  'images.teacher.source': checks.oneOf('auto', 'embedded'),
  'images.teacher.classes': classList,
  'images.teacher.vit.patchSize': checks.positiveInt,
  'images.teacher.vit.dim': checks.positiveInt,
  'images.teacher.vit.heads': checks.positiveInt,
  'images.teacher.vit.depth': checks.positiveInt,
  'images.teacher.vit.mlpDim': checks.positiveInt,
  'images.teacher.vit.split': checks.nonNegativeInt,
  'images.teacher.steps': checks.positiveInt,
  'images.teacher.batchSize': checks.positiveInt,
  'images.teacher.lr': checks.positive,
  'images.student.blocks': checks.positiveInt,
  'images.student.split': checks.nonNegativeInt,
  'images.probe.epochs': checks.positiveInt,
  'images.probe.lr': checks.positive,
  'images.probe.tokenPooling': checks.oneOf('first', 'mean'),
  'movielens.evalFraction': fraction,
  'movielens.validationFraction': fraction,
  'movielens.minEvalRatings': checks.nonNegativeInt,
  'movielens.maxGenres': checks.nonNegativeInt,
  'movielens.teacher.hidden': positiveInts,
  'movielens.teacher.steps': checks.positiveInt,
  'movielens.teacher.batchSize': checks.positiveInt,
  'movielens.teacher.lr': checks.positive,
  'movielens.student.hidden': positiveInts,
  'cka.examplesPerClass': (v) => (Number.isInteger(v) && (v as number) >= 2 ? null : 'must be an integer >= 2'),
};

for (const group of ['teacher', 'student']) {
  for (const key of ['user', 'movie', 'title', 'genre']) CHECKS[`movielens.${group}.embeddingDims.${key}`] = checks.positiveInt;
}

const IMAGE_TASK_CHECKS: Record<string, RangeCheck> = {
  name: nonEmptyName,
  dataset: checks.oneOf('fashion-mnist', 'cifar10', 'cifar100'),
  source: checks.oneOf('auto', 'embedded'),
  downstreamClasses: classList,
  pretrainClasses: classList,
  labelsPerClass: checks.positiveInt,
  validationPerClass: checks.positiveInt,
  evaluationPerClass: checks.nonNegativeInt,
};

/**
 * Merges `user` over `base` and validates the result, including each image task, the
 * distill settings and the search lists. `source` names the config in errors.
 */
export function resolveExperiment(base: ExperimentConfig, user: unknown, source: string): ExperimentConfig {
  const config = resolveConfig(base, user, CHECKS, source);
  config.images.tasks = config.images.tasks.map((task, i) =>
    resolveConfig(IMAGE_TASK_DEFAULTS, task, IMAGE_TASK_CHECKS, `${source}: images.tasks[${i}]`),
  );
  const names = config.images.tasks.map((t) => t.name);
  if (new Set(names).size !== names.length) throw new Error(`${source}: images.tasks has duplicate names ${JSON.stringify(names)}`);

  checkDistillSection(config, source);
  checkSearch(config, source);
  const { steps, evalEvery, checkpointEvery } = config.training;
  if (checkpointEvery % evalEvery !== 0) {
    throw new Error(`${source}: training.checkpointEvery = ${checkpointEvery} must be a multiple of training.evalEvery = ${evalEvery}, so a resumed run keeps the same curve`);
  }
  const ramp = config.ablation.studentOnlySteps + config.ablation.communicationOnlySteps;
  if (config.ablations.includes('td-rampup') && ramp >= steps) {
    throw new Error(`${source}: ablation.studentOnlySteps + communicationOnlySteps = ${ramp} must be below training.steps = ${steps}`);
  }
  if (config.methods.length + config.ablations.length === 0) throw new Error(`${source}: methods and ablations are both empty; nothing to run`);
  return config;
}

/** Returns the distill section as DistillConfig overrides (null reductions dropped). */
export function sharedDistillConfig(config: ExperimentConfig): Partial<DistillConfig> {
  const { reductions, ...rest } = config.distill as Record<string, Json> & { reductions: Record<string, Json> };
  const kept = Object.fromEntries(Object.entries(reductions ?? {}).filter(([, v]) => v !== null));
  return { ...(rest as Partial<DistillConfig>), reductions: kept as DistillConfig['reductions'] };
}

function checkDistillSection(config: ExperimentConfig, source: string): void {
  if ('method' in config.distill || 'seed' in config.distill) {
    throw new Error(`${source}: distill.method and distill.seed are set per cell; use methods and seeds instead`);
  }
  try {
    resolveDistillConfig(sharedDistillConfig(config));
  } catch (error) {
    throw new Error(`${source}: distill: ${(error as Error).message.replace(/^distill config: /, '')}`);
  }
}

function checkSearch(config: ExperimentConfig, source: string): void {
  const sizes = new Map<string, number>();
  for (const [method, points] of Object.entries(config.search)) {
    if (!MAIN_METHODS.includes(method) || method === 'scratch') {
      throw new Error(`${source}: unknown key search.${method} (known keys here: ${MAIN_METHODS.filter((m) => m !== 'scratch').join(', ')}; scratch has no search)`);
    }
    if (!Array.isArray(points) || points.length === 0) throw new Error(`${source}: search.${method} must be a non-empty list of DistillConfig overrides`);
    points.forEach((point, i) => {
      if (typeof point !== 'object' || point === null || Array.isArray(point)) throw new Error(`${source}: search.${method}[${i}] must be an object`);
      if ('method' in point || 'seed' in point) throw new Error(`${source}: search.${method}[${i}] must not set method or seed`);
      try {
        resolveDistillConfig({ ...sharedDistillConfig(config), ...(point as Partial<DistillConfig>), method: method as DistillConfig['method'] });
      } catch (error) {
        throw new Error(`${source}: search.${method}[${i}]: ${(error as Error).message.replace(/^distill config: /, '')}`);
      }
    });
    sizes.set(method, points.length);
  }
  const used = [...config.methods, ...(config.ablations.length > 0 ? ['td'] : [])].filter((m) => m !== 'scratch');
  for (const method of used) {
    if (!sizes.has(method)) throw new Error(`${source}: search.${method} is missing; every distillation method needs its search list`);
  }
  const distinct = new Set(used.map((m) => sizes.get(m)));
  if (distinct.size > 1) {
    const listed = used.map((m) => `${m}: ${sizes.get(m)}`).join(', ');
    throw new Error(`${source}: the search lists differ in size (${listed}); give every distillation method the same number of points`);
  }
}
