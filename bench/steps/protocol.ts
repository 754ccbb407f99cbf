// The timing protocol shared by every framework of the step benchmark.
//
// A step is recorded (and, where the framework does, submitted) without waiting for
// the GPU. Like a real training loop, the loss is read back only every `every`
// steps, and that read is the only wait. So one block is `every` steps timed from
// the start of its first step to the end of its loss read, and the step time of the
// block is that time divided by `every`. Median, min and max are taken over blocks.

export interface StepCase {
  /** Model key, the same in every framework, e.g. 'mlp' or 'vit'. */
  model: string;
  /** Trainable parameter count, printed so that the frameworks can be compared. */
  parameters: number;
  /** Records one training step (forward, backward, optimizer update) without waiting for the GPU. */
  step(): void | Promise<void>;
  /** Waits for the GPU and returns the mean loss over the steps since the last read. */
  readLoss(): Promise<number>;
  dispose(): void;
}

export interface TimingPlan {
  warmupSteps: number;
  /** Timed blocks. Each block is `every` steps and one loss read. */
  blocks: number;
  /** Steps between two loss reads. */
  every: number;
}

export interface StepTimes {
  /** Step time of each block in ms: block wall time / steps per block, loss read included. */
  blockMs: number[];
  /** Synchronous time of each timed step call in ms (recording, encoding, submits), without the GPU wait. */
  recordMs: number[];
  /** Mean loss of each block, to show that training runs and stays finite. */
  losses: number[];
}

/** Runs the warm-up, then the timed blocks of `plan`, and returns every measurement. */
export async function timeSteps(c: StepCase, plan: TimingPlan): Promise<StepTimes> {
  for (let i = 0; i < plan.warmupSteps; i++) await c.step();
  await c.readLoss();

  const times: StepTimes = { blockMs: [], recordMs: [], losses: [] };
  for (let b = 0; b < plan.blocks; b++) {
    const start = performance.now();
    for (let i = 0; i < plan.every; i++) {
      const recordStart = performance.now();
      await c.step();
      times.recordMs.push(performance.now() - recordStart);
    }
    times.losses.push(await c.readLoss());
    times.blockMs.push((performance.now() - start) / plan.every);
  }
  return times;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Summary of one framework's timing of one model, as printed and written to JSON. */
export interface StepSummary {
  model: string;
  framework: string;
  parameters: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Median synchronous recording time per step, or null where the framework runs eagerly on the CPU. */
  recordMs: number | null;
  /** Queue submits per step, loss reads included, or null where not counted. */
  submitsPerStep: number | null;
  /** Kernel dispatches (launches) per step, loss reads included, or null where not counted. */
  dispatchesPerStep: number | null;
  blocks: number;
  every: number;
  warmupSteps: number;
  blockMs: number[];
  losses: number[];
  /** Framework-specific settings, e.g. the thread count of PyTorch. */
  notes?: string;
}

export function summarizeTimes(
  head: Pick<StepSummary, 'model' | 'framework' | 'parameters'>,
  times: StepTimes,
  plan: TimingPlan,
  counts: { submitsPerStep: number | null; dispatchesPerStep: number | null },
): StepSummary {
  return {
    ...head,
    medianMs: median(times.blockMs),
    minMs: Math.min(...times.blockMs),
    maxMs: Math.max(...times.blockMs),
    recordMs: times.recordMs.length > 0 ? median(times.recordMs) : null,
    ...counts,
    blocks: plan.blocks,
    every: plan.every,
    warmupSteps: plan.warmupSteps,
    blockMs: times.blockMs,
    losses: times.losses,
  };
}
