// Summary statistics for results tables: mean, standard error over seeds, and the
// relative improvement over the from-scratch student.

export function mean(values: number[]): number {
  if (values.length === 0) return NaN;
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Standard error of the mean: sample standard deviation (n - 1) over sqrt(n); 0 for one value. */
export function standardError(values: number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const m = mean(values);
  const variance = values.reduce((s, v) => s + (v - m) ** 2, 0) / (n - 1);
  return Math.sqrt(variance / n);
}

/**
 * Relative improvement of `value` over `baseline` in percent, signed so that a
 * positive number is always better: for a metric where lower is better (RMSE) the
 * improvement is (baseline - value) / baseline.
 */
export function relativeImprovement(value: number, baseline: number, higherIsBetter: boolean): number {
  const gain = higherIsBetter ? value - baseline : baseline - value;
  return (100 * gain) / Math.abs(baseline);
}
