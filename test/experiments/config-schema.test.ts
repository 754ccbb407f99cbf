import { describe, expect, it } from 'vitest';
import { checks, resolveConfig } from '../../src/experiments/config-schema.js';

const defaults = { training: { steps: 100, lr: 0.001, schedule: 'constant' }, seeds: [0, 1], data: null as string | null };

describe('resolveConfig', () => {
  it('merges nested keys over defaults', () => {
    const config = resolveConfig(defaults, { training: { lr: 0.01 }, data: '/tmp/x' });
    expect(config.training).toEqual({ steps: 100, lr: 0.01, schedule: 'constant' });
    expect(config.data).toBe('/tmp/x');
    expect(config.seeds).toEqual([0, 1]);
  });

  it('rejects an unknown key with its path', () => {
    expect(() => resolveConfig(defaults, { training: { lrr: 1 } })).toThrow(/unknown key training\.lrr/);
  });

  it('rejects a wrong type with its path', () => {
    expect(() => resolveConfig(defaults, { training: { steps: '10' } })).toThrow(/training\.steps must be number, got string/);
  });

  it('rejects an out-of-range value', () => {
    expect(() => resolveConfig(defaults, { training: { steps: 0 } }, { 'training.steps': checks.positiveInt })).toThrow(
      /training\.steps = 0 is invalid: must be a positive integer/,
    );
  });

  it('rejects an unknown enum value', () => {
    const check = { 'training.schedule': checks.oneOf('constant', 'cosine') };
    expect(() => resolveConfig(defaults, { training: { schedule: 'cosin' } }, check)).toThrow(/must be one of constant, cosine/);
  });
});
