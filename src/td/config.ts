// Configuration of a distillation run: which method, its loss weights, the distance,
// the communication modules and the training schedule. Every key has a documented
// default; `resolveDistillConfig` fills them in and rejects unknown keys and invalid
// values with the key name.

/** Distance d between two states or messages. */
export type DistanceName = 'mse' | 'cosine' | 'smoothL1';

/**
 * Reduction of a distance over elements:
 * - 'mean': mean over all elements (for 'cosine', over all vectors);
 * - 'batchMean': sum over each example's elements, then mean over the batch (first dim);
 * - 'sum': sum over everything.
 * The choice scales each loss by a different factor (for example the feature count),
 * so it changes the effective loss weights.
 */
export type DistanceReduction = 'mean' | 'batchMean' | 'sum';

/**
 * Layout of {s; e}, formed from s and e:
 * - 'concat': concatenated along the last (feature) dim, so token states [B, T, D]
 *   give one message per token;
 * - 'flattenTokens': each example's tokens are flattened into one vector
 *   [B, T * (Ds + De)], so the whole sequence becomes one message; needs `tokenCount`.
 */
export type StateJoin = 'concat' | 'flattenTokens';

export type MethodName = 'scratch' | 'ld' | 'fd' | 'fitnet' | 'hybrid' | 'td';

export const METHOD_NAMES: readonly MethodName[] = ['scratch', 'ld', 'fd', 'fitnet', 'hybrid', 'td'];

/** The distance-based loss parts, each of which may have its own reduction. */
export type DistanceLossName = 'interact' | 'stateConsistency' | 'messageConsistency' | 'logit' | 'feature' | 'fitnet';

export interface DistillConfig {
  method: MethodName;

  // ---- talking-model distillation (method 'td') ----
  /** k, the rounds of interactive communication; 0 keeps only the consistency losses. */
  rounds: number;
  /** Weight of L_interact, summed over the rounds. */
  wInteract: number;
  /** Weight of the state consistency loss L_SC. */
  wSC: number;
  /** Weight of the message consistency loss L_MC. */
  wMC: number;
  /** Training step from which L_SC and L_MC are dropped; null keeps them for the whole run. */
  consistencyUntilStep: number | null;
  /** Whether L_interact compares {s; e} ('both') or only e ('e'). */
  interactCovers: 'both' | 'e';
  /** Std of the Gaussian noise added to the teacher's decoded s_h' before it interprets it; 0 turns it off. */
  noiseStd: number;

  // ---- baselines ----
  /** Weight of the label distillation loss (methods 'ld' and 'hybrid'). */
  wLogit: number;
  /** Softmax temperature T of label distillation for classification; the loss is scaled by T^2. */
  temperature: number;
  /** Weight of the feature distillation loss d(E_g({s_g; e_g}), E_h({s_h; e_h})) (methods 'fd' and 'hybrid'). */
  wFeature: number;
  /** Weight of the FitNet hint loss d({s_g; e_g}, D_g({s_h; e_h})) (method 'fitnet'). */
  wFitnet: number;
  /**
   * FitNet two-stage hint training: the first `fitnetHintSteps` steps train the student
   * and D_g on the hint loss alone, later steps on the task loss alone. 0 (default)
   * trains one stage on task loss plus weighted hint loss.
   */
  fitnetHintSteps: number;

  // ---- distance ----
  distance: DistanceName;
  /** Default reduction of every distance. */
  reduction: DistanceReduction;
  /** Per-loss overrides of `reduction`. */
  reductions: Partial<Record<DistanceLossName, DistanceReduction>>;
  /** Width of the quadratic zone of the smooth L1 distance. */
  smoothL1Beta: number;

  // ---- communication modules ----
  /** Message dim md of the shared message space. */
  messageDim: number;
  /** Width of the hidden ReLU layer of every encoder and decoder. */
  hiddenDim: number;
  /** Dropout rate inside the encoders and decoders (active only in training mode). */
  dropout: number;
  /** One encoder/decoder pair shared by teacher and student (needs equal state dims) instead of one pair each. */
  sharedCommunication: boolean;
  stateJoin: StateJoin;
  /** Tokens per example; required by stateJoin 'flattenTokens', ignored otherwise. */
  tokenCount: number | null;

  // ---- teacher ----
  /** Run the frozen teacher in eval mode (dropout off) or train mode. */
  teacherMode: 'eval' | 'train';
  /**
   * Cache the teacher's s_h, e_h and y_h per example (batches must carry `index`).
   * The teacher's weights never change, so its outputs on a fixed dataset do not
   * either; the interpretation step still runs the teacher's upper stage.
   */
  cacheTeacher: boolean;

  // ---- schedule ----
  /** Ramp-up stage 1: steps that train the student alone on the task loss. */
  studentOnlySteps: number;
  /** Ramp-up stage 2: steps that then train only the communication modules, with the student frozen. */
  communicationOnlySteps: number;

  /** Seed of the generator for the interpretation noise. */
  seed: number;
}

export const DEFAULT_DISTILL_CONFIG: Readonly<DistillConfig> = Object.freeze({
  method: 'td',
  rounds: 2,
  wInteract: 1,
  wSC: 1,
  wMC: 1,
  consistencyUntilStep: null,
  interactCovers: 'both',
  noiseStd: 0,
  wLogit: 1,
  temperature: 2,
  wFeature: 1,
  wFitnet: 1,
  fitnetHintSteps: 0,
  distance: 'mse',
  reduction: 'mean',
  reductions: {},
  smoothL1Beta: 1,
  messageDim: 128,
  hiddenDim: 256,
  dropout: 0,
  sharedCommunication: false,
  stateJoin: 'concat',
  tokenCount: null,
  teacherMode: 'eval',
  cacheTeacher: false,
  studentOnlySteps: 0,
  communicationOnlySteps: 0,
  seed: 0,
});

type Check = (value: unknown) => string | null;

const isNonNegative: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? null : 'must be a finite number >= 0');
const isPositive: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? null : 'must be a finite number > 0');
const isCount: Check = (v) => (Number.isInteger(v) && (v as number) >= 0 ? null : 'must be an integer >= 0');
const isPositiveInt: Check = (v) => (Number.isInteger(v) && (v as number) > 0 ? null : 'must be an integer > 0');
const isBoolean: Check = (v) => (typeof v === 'boolean' ? null : 'must be true or false');
const isOneOf =
  (...options: readonly string[]): Check =>
  (v) =>
    options.includes(v as string) ? null : `must be one of ${options.join(', ')}`;
const orNull =
  (check: Check): Check =>
  (v) =>
    v === null ? null : check(v);

const REDUCTIONS = ['mean', 'batchMean', 'sum'] as const;
const DISTANCE_LOSSES = ['interact', 'stateConsistency', 'messageConsistency', 'logit', 'feature', 'fitnet'] as const;

const CHECKS: Record<keyof DistillConfig, Check> = {
  method: isOneOf(...METHOD_NAMES),
  rounds: isCount,
  wInteract: isNonNegative,
  wSC: isNonNegative,
  wMC: isNonNegative,
  consistencyUntilStep: orNull(isCount),
  interactCovers: isOneOf('both', 'e'),
  noiseStd: isNonNegative,
  wLogit: isNonNegative,
  temperature: isPositive,
  wFeature: isNonNegative,
  wFitnet: isNonNegative,
  fitnetHintSteps: isCount,
  distance: isOneOf('mse', 'cosine', 'smoothL1'),
  reduction: isOneOf(...REDUCTIONS),
  reductions: (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'must be an object';
    for (const [key, value] of Object.entries(v)) {
      if (!(DISTANCE_LOSSES as readonly string[]).includes(key)) return `has unknown loss '${key}' (known: ${DISTANCE_LOSSES.join(', ')})`;
      if (!(REDUCTIONS as readonly string[]).includes(value as string)) return `.${key} must be one of ${REDUCTIONS.join(', ')}`;
    }
    return null;
  },
  smoothL1Beta: isPositive,
  messageDim: isPositiveInt,
  hiddenDim: isPositiveInt,
  dropout: (v) => (typeof v === 'number' && v >= 0 && v < 1 ? null : 'must be in [0, 1)'),
  sharedCommunication: isBoolean,
  stateJoin: isOneOf('concat', 'flattenTokens'),
  tokenCount: orNull(isPositiveInt),
  teacherMode: isOneOf('eval', 'train'),
  cacheTeacher: isBoolean,
  studentOnlySteps: isCount,
  communicationOnlySteps: isCount,
  seed: (v) => (Number.isInteger(v) ? null : 'must be an integer'),
};

/** Fills in the defaults of every missing key and validates the result. */
export function resolveDistillConfig(config: Partial<DistillConfig> = {}): DistillConfig {
  for (const key of Object.keys(config)) {
    if (!Object.hasOwn(CHECKS, key)) {
      throw new Error(`distill config: unknown key '${key}' (known keys: ${Object.keys(CHECKS).join(', ')})`);
    }
  }
  const resolved = { ...DEFAULT_DISTILL_CONFIG, ...stripUndefined(config), reductions: { ...(config.reductions ?? {}) } };
  for (const [key, check] of Object.entries(CHECKS)) {
    const value = resolved[key as keyof DistillConfig];
    const problem = check(value);
    if (problem !== null) throw new Error(`distill config: ${key} = ${JSON.stringify(value)} is invalid: it ${problem}`);
  }
  if (resolved.stateJoin === 'flattenTokens' && resolved.tokenCount === null) {
    throw new Error("distill config: stateJoin 'flattenTokens' needs tokenCount (tokens per example)");
  }
  return resolved;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Returns the reduction that applies to one loss part. */
export function reductionOf(config: DistillConfig, loss: DistanceLossName): DistanceReduction {
  return config.reductions[loss] ?? config.reduction;
}

/** Returns the config keys that a method reads, for logs and result files. */
export function methodKeys(method: MethodName): (keyof DistillConfig)[] {
  const distance: (keyof DistillConfig)[] = ['distance', 'reduction', 'reductions', 'smoothL1Beta'];
  const communication: (keyof DistillConfig)[] = ['messageDim', 'hiddenDim', 'dropout', 'sharedCommunication', 'stateJoin', 'tokenCount'];
  const teacher: (keyof DistillConfig)[] = ['teacherMode', 'cacheTeacher'];
  const schedule: (keyof DistillConfig)[] = ['studentOnlySteps', 'communicationOnlySteps'];
  switch (method) {
    case 'scratch':
      return ['method', ...schedule];
    case 'ld':
      return ['method', 'wLogit', 'temperature', 'reductions', ...teacher, ...schedule];
    case 'fd':
      return ['method', 'wFeature', ...distance, ...communication, ...teacher, ...schedule];
    case 'fitnet':
      return ['method', 'wFitnet', 'fitnetHintSteps', ...distance, 'hiddenDim', 'dropout', 'stateJoin', 'tokenCount', ...teacher, ...schedule];
    case 'hybrid':
      return ['method', 'wLogit', 'temperature', 'wFeature', ...distance, ...communication, ...teacher, ...schedule];
    case 'td':
      return [
        'method', 'rounds', 'wInteract', 'wSC', 'wMC', 'consistencyUntilStep', 'interactCovers', 'noiseStd',
        ...distance, ...communication, ...teacher, ...schedule, 'seed',
      ];
  }
}
