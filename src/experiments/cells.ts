// A sweep is a list of cells, one per (task, method, seed). Each finished cell is
// written to its own JSON file as soon as it ends, so rerunning the same sweep
// skips finished cells and an interrupted sweep loses at most the cell in progress.

export interface Cell {
  task: string;
  /** A method (scratch, ld, fd, fitnet, hybrid, td) or a TD ablation variant (td-k0, ...). */
  method: string;
  seed: number;
}

export interface CurvePoint {
  /** Steps taken when the point was measured. */
  step: number;
  /** Mean total loss (task loss plus the method's weighted terms) since the previous point. */
  trainLoss: number;
  /** Mean task loss L(y, y_g) since the previous point; comparable across methods. */
  taskLoss?: number;
  validationMetric: number;
}

/** One point of a cell's hyper-parameter search. */
export interface SearchPointResult {
  hyperparameters: Record<string, number | string | boolean>;
  bestValidationMetric: number;
  bestStep: number;
  lastValidationMetric: number;
}

export interface CellResult {
  cell: Cell;
  metricName: string;
  higherIsBetter: boolean;
  /** Metric on the held-out evaluation split. */
  evalMetric: number;
  validationMetric: number;
  /** 'best-on-validation' or 'last-step': which checkpoint evalMetric comes from. */
  selection: string;
  hyperparameters: Record<string, number | string | boolean>;
  curve: CurvePoint[];
  seconds: number;
  notes: string[];
  /** Step whose evaluation metric is reported. */
  selectedStep?: number;
  /** Every search point with its validation results, in search order. */
  search?: SearchPointResult[];
  /** The distiller's settings of the selected point (Distiller.describe()). */
  settings?: Record<string, unknown>;
}

export function cellId(cell: Cell): string {
  return `${cell.task}__${cell.method}__seed${cell.seed}`.replace(/[^A-Za-z0-9_.-]/g, '-');
}

export function enumerateCells(tasks: string[], methods: string[], seeds: number[]): Cell[] {
  const cells: Cell[] = [];
  for (const task of tasks) for (const method of methods) for (const seed of seeds) cells.push({ task, method, seed });
  return cells;
}

export interface Shard {
  index: number;
  count: number;
}

/** Parses "i/n" with 0 <= i < n. */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || count < 1 || index >= count) {
    throw new Error(`--shard ${JSON.stringify(text)} is invalid: expected i/n with 0 <= i < n, e.g. 0/4`);
  }
  return { index, count };
}

/** Selects every n-th cell starting at i, so shards of one sweep never overlap and together cover it. */
export function shardCells(cells: Cell[], shard: Shard): Cell[] {
  return cells.filter((_, i) => i % shard.count === shard.index);
}
