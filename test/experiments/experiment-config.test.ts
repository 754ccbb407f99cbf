// Experiment configs: every problem is rejected with the source and key path before
// any work starts, every preset resolves, and the command-line flags override it.

import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { DEFAULT_EXPERIMENT, resolveExperiment, sharedDistillConfig } from '../../src/experiments/experiment-config.js';
import { ablationOverrides, searchPoints } from '../../src/experiments/methods.js';
import { loadExperimentConfig, PRESET_NAMES } from '../../src/experiments/presets-node.js';

const resolve = (user: unknown) => resolveExperiment(DEFAULT_EXPERIMENT, user, 'test.json');

describe('resolveExperiment', () => {
  it('rejects an unknown nested key', () => {
    expect(() => resolve({ training: { stepz: 3 } })).toThrow(/test\.json: unknown key training\.stepz/);
  });

  it('rejects a wrong type', () => {
    expect(() => resolve({ images: { student: { blocks: '2' } } })).toThrow(/images\.student\.blocks must be number, got string/);
  });

  it('rejects an out-of-range value', () => {
    expect(() => resolve({ training: { lr: -1 } })).toThrow(/training\.lr = -1 is invalid/);
  });

  it('rejects an unknown method', () => {
    expect(() => resolve({ methods: ['scratch', 'kd'] })).toThrow(/methods = .* unknown entries \["kd"\]/);
  });

  it('rejects a bad image task with its index', () => {
    expect(() => resolve({ images: { tasks: [{ name: 'a', labelsPerClass: 0 }] } })).toThrow(/images\.tasks\[0\]: labelsPerClass = 0 is invalid/);
  });

  it('rejects an unknown key of an image task', () => {
    expect(() => resolve({ images: { tasks: [{ name: 'a', clases: [1] }] } })).toThrow(/images\.tasks\[0\]: unknown key clases/);
  });

  it('rejects an invalid distill value', () => {
    expect(() => resolve({ distill: { distance: 'l3' } })).toThrow(/test\.json: distill: distance = "l3" is invalid/);
  });

  it('rejects a per-loss reduction', () => {
    expect(() => resolve({ distill: { reductions: { interact: 'max' } } })).toThrow(/distill: reductions = .* is invalid/);
  });

  it('rejects a bad search point with its index', () => {
    const search = { td: [{ wSC: 1 }, { wSC: -2 }] };
    expect(() => resolve({ search })).toThrow(/search\.td\[1\]: wSC = -2 is invalid/);
  });

  it('rejects search lists of different sizes', () => {
    expect(() => resolve({ search: { ld: [{ wLogit: 1 }] } })).toThrow(/search lists differ in size \(ld: 1, fd: 2/);
  });

  it('accepts different sizes of unused methods', () => {
    const config = resolve({ methods: ['scratch', 'td'], ablations: [], search: { ld: [{ wLogit: 1 }] } });
    expect(config.search.ld).toHaveLength(1);
  });

  it('rejects checkpoints between validations', () => {
    expect(() => resolve({ training: { evalEvery: 20, checkpointEvery: 30 } })).toThrow(/checkpointEvery = 30 must be a multiple of training\.evalEvery = 20/);
  });

  it('rejects a ramp-up longer than training', () => {
    expect(() => resolve({ training: { steps: 60 } })).toThrow(/studentOnlySteps \+ communicationOnlySteps = 75 must be below training\.steps = 60/);
  });

  it('merges a per-loss reduction', () => {
    const config = resolve({ distill: { reductions: { interact: 'sum' } } });
    expect(sharedDistillConfig(config).reductions).toEqual({ interact: 'sum' });
  });
});

describe('searchPoints', () => {
  const shared = { messageDim: 8 };
  const search = { td: [{ wSC: 0.5 }, { wSC: 2 }], ld: [{ wLogit: 3 }] };
  const ablation = { noiseStd: 0.25, studentOnlySteps: 4, communicationOnlySteps: 2 };

  it('gives scratch one point', () => {
    expect(searchPoints('scratch', shared, search, ablation, 3)).toEqual([{ messageDim: 8, method: 'scratch', seed: 3 }]);
  });

  it('layers the ablation over each td point', () => {
    const points = searchPoints('td-no-mc', shared, search, ablation, 1);
    expect(points).toEqual([
      { messageDim: 8, wSC: 0.5, wMC: 0, method: 'td', seed: 1 },
      { messageDim: 8, wSC: 2, wMC: 0, method: 'td', seed: 1 },
    ]);
  });

  it('takes the ramp-up from the ablation settings', () => {
    expect(ablationOverrides('td-rampup', ablation)).toEqual({ studentOnlySteps: 4, communicationOnlySteps: 2 });
  });
});

describe('loadExperimentConfig', () => {
  it.each(PRESET_NAMES)('resolves preset %s', async (preset) => {
    const config = await loadExperimentConfig({ preset });
    expect(config.name).toBe(preset);
  });

  it('lets flags override the preset', async () => {
    const config = await loadExperimentConfig({ preset: 'demo', flags: { seeds: [4, 5], steps: 40, data: '/data/fm' } });
    expect(config.seeds).toEqual([4, 5]);
    expect(config.training.steps).toBe(40);
    expect(config.images.tasks[0].dataPath).toBe('/data/fm');
    expect(config.images.tasks[0].source).toBe('auto');
  });

  it('keeps the embedded subset for the demo', async () => {
    const config = await loadExperimentConfig({ preset: 'demo' });
    expect(config.images.tasks[0].source).toBe('embedded');
    expect(config.images.tasks[0].dataPath).toBeNull();
  });

  it('names the file of an invalid key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'talkgrad-config-'));
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ movielens: { teacher: { hidden: [512, 0] } } }));
    await expect(loadExperimentConfig({ preset: 'movielens', configFile: file })).rejects.toThrow(`${file}: movielens.teacher.hidden = [512,0] is invalid`);
  });

  it('rejects a file that is not JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'talkgrad-config-'));
    const file = join(dir, 'broken.json');
    await writeFile(file, '{ "seeds": [0,');
    await expect(loadExperimentConfig({ configFile: file })).rejects.toThrow(/broken\.json is not valid JSON/);
  });

  it('rejects an unknown preset', async () => {
    await expect(loadExperimentConfig({ preset: 'demoo' })).rejects.toThrow(/unknown preset 'demoo'; known presets: demo, movielens/);
  });
});
