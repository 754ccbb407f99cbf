import { describe, expect, it } from 'vitest';
import { DEFAULT_DISTILL_CONFIG, reductionOf, resolveDistillConfig } from '../../src/td/config.js';

describe('resolveDistillConfig', () => {
  it('fills defaults', () => {
    const config = resolveDistillConfig({ method: 'fd', wFeature: 0.5 });
    expect(config.wFeature).toBe(0.5);
    expect(config.rounds).toBe(DEFAULT_DISTILL_CONFIG.rounds);
    expect(config.distance).toBe('mse');
  });

  it('rejects unknown key', () => {
    expect(() => resolveDistillConfig({ w2: 1 } as never)).toThrow(/unknown key 'w2'/);
  });

  it('rejects negative weight', () => {
    expect(() => resolveDistillConfig({ wSC: -1 })).toThrow(/wSC = -1 is invalid/);
  });

  it('rejects fractional rounds', () => {
    expect(() => resolveDistillConfig({ rounds: 1.5 })).toThrow(/rounds = 1.5 is invalid/);
  });

  it('flattenTokens needs tokenCount', () => {
    expect(() => resolveDistillConfig({ stateJoin: 'flattenTokens' })).toThrow(/needs tokenCount/);
  });

  it('per-loss reduction override', () => {
    const config = resolveDistillConfig({ reduction: 'sum', reductions: { interact: 'batchMean' } });
    expect(reductionOf(config, 'interact')).toBe('batchMean');
    expect(reductionOf(config, 'feature')).toBe('sum');
  });

  it('rejects unknown reduction loss', () => {
    expect(() => resolveDistillConfig({ reductions: { taskLoss: 'sum' } as never })).toThrow(/unknown loss 'taskLoss'/);
  });
});
