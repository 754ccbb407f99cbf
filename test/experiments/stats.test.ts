import { describe, expect, it } from 'vitest';
import { mean, relativeImprovement, standardError } from '../../src/experiments/stats.js';

describe('stats', () => {
  it('standard error matches the textbook formula', () => {
    const values = [0.81, 0.84, 0.79, 0.86, 0.83];
    const m = values.reduce((a, b) => a + b) / values.length;
    const sd = Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / (values.length - 1));
    expect(mean(values)).toBeCloseTo(0.826, 12);
    expect(standardError(values)).toBeCloseTo(sd / Math.sqrt(5), 12);
  });

  it('standard error of one seed is zero', () => {
    expect(standardError([0.7])).toBe(0);
  });

  it('relative improvement is positive when better', () => {
    expect(relativeImprovement(0.88, 0.8, true)).toBeCloseTo(10, 10);
    expect(relativeImprovement(0.9, 1.0, false)).toBeCloseTo(10, 10);
    expect(relativeImprovement(1.1, 1.0, false)).toBeCloseTo(-10, 10);
  });
});
