// Learning-rate schedules as plain functions of the step (0-based, before the update),
// so a resumed run only needs the step count. Set `optimizer.lr = schedule(step)`.

export type LrSchedule = (step: number) => number;

export function constantLr(lr: number): LrSchedule {
  checkLr('constantLr', lr);
  return () => lr;
}

/** Rises linearly from lr / warmupSteps at step 0 to lr at step warmupSteps - 1, then stays at lr. */
export function linearWarmup(lr: number, warmupSteps: number): LrSchedule {
  checkLr('linearWarmup', lr);
  checkSteps('linearWarmup', 'warmupSteps', warmupSteps);
  return (step) => (step < warmupSteps ? (lr * (step + 1)) / warmupSteps : lr);
}

export interface CosineDecayOptions {
  lr: number;
  /** Step at which the decay reaches minLr. Later steps stay there. */
  totalSteps: number;
  /** Linear warmup steps before the decay starts. Default 0. */
  warmupSteps?: number;
  /** Final learning rate. Default 0. */
  minLr?: number;
}

/**
 * Linear warmup, then half a cosine from lr down to minLr:
 * lr(t) = minLr + (lr - minLr) (1 + cos(pi t / T)) / 2, with t counted after warmup
 * and T = totalSteps - warmupSteps.
 */
export function cosineDecay(options: CosineDecayOptions): LrSchedule {
  const { lr, totalSteps, warmupSteps = 0, minLr = 0 } = options;
  checkLr('cosineDecay', lr);
  checkSteps('cosineDecay', 'totalSteps', totalSteps);
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0 || warmupSteps >= totalSteps) {
    throw new Error(`cosineDecay: warmupSteps must be an integer in [0, totalSteps ${totalSteps}), got ${warmupSteps}`);
  }
  if (!(minLr >= 0 && minLr <= lr)) throw new Error(`cosineDecay: minLr must lie in [0, lr ${lr}], got ${minLr}`);

  const warmup = warmupSteps > 0 ? linearWarmup(lr, warmupSteps) : null;
  const decaySteps = totalSteps - warmupSteps;
  return (step) => {
    if (warmup !== null && step < warmupSteps) return warmup(step);
    const t = Math.min(step - warmupSteps, decaySteps);
    return minLr + ((lr - minLr) * (1 + Math.cos((Math.PI * t) / decaySteps))) / 2;
  };
}

function checkLr(op: string, lr: number): void {
  if (!(lr >= 0) || !Number.isFinite(lr)) throw new Error(`${op}: lr must be a finite number >= 0, got ${lr}`);
}

function checkSteps(op: string, name: string, steps: number): void {
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`${op}: ${name} must be a positive integer, got ${steps}`);
}
