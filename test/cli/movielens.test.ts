// `compare --preset movielens` end to end on a generated ml-100k folder with tiny step
// counts, and the errors of the data-hungry presets when their data is missing.

import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { loadImageSplits } from '../../src/experiments/image-data-node.js';
import { writeMovieLens100k } from '../fixtures/movielens.js';
import { runCli, writeConfig } from './helpers.js';

let dir: string;
let runDir: string;
let run: { code: number | null; stdout: string; stderr: string };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'talkgrad-movielens-'));
  const data = join(dir, 'ml-100k');
  await writeMovieLens100k(data, { seed: 1 });
  // The generated set has about 100 evaluation ratings in its densest genres (see the fixture).
  const overrides = await writeConfig(dir, 'tiny.json', {
    seeds: [0],
    ablations: ['td-k1'],
    training: { evalEvery: 1, checkpointEvery: 1, batchSize: 32, evalBatchSize: 500, selection: 'last-step' },
    distill: { messageDim: 8, hiddenDim: 12 },
    ablation: { studentOnlySteps: 1, communicationOnlySteps: 1 },
    movielens: { minEvalRatings: 70, maxGenres: 2, teacher: { steps: 6, batchSize: 64 } },
    cka: { examplesPerClass: 3 },
  });
  runDir = join(dir, 'run');
  run = await runCli(['compare', '--preset', 'movielens', '--config', overrides, '--data', data, '--steps', '3', '--out', runDir]);
});

describe('talkgrad compare --preset movielens', () => {
  it('exits with 0', () => {
    expect(run.stderr).not.toMatch(/error:|: failed:/);
    expect(run.code).toBe(0);
  });

  it('pre-trains the teacher into the run folder', async () => {
    expect(run.stderr).toContain(`teacher: no checkpoint yet, pre-training one into ${join(runDir, 'teacher.safetensors')}`);
    expect(await readdir(runDir)).toContain('teacher.safetensors');
  });

  it('runs every method on two genres', async () => {
    // 2 genres x (6 methods + 1 ablation) x 1 seed.
    expect(await readdir(join(runDir, 'cells'))).toHaveLength(14);
  });

  it('reports rmse with the teacher row', () => {
    expect(run.stdout).toMatch(/\| method \| genre-\S+ \(rmse, lower is better\) \| genre-\S+ \(rmse, lower is better\) \|/);
    expect(run.stdout).toMatch(/\| teacher \(reference\) \| \d\.\d{4} \| \d\.\d{4} \|/);
  });

  it('reports last-step numbers', async () => {
    const markdown = await readFile(join(runDir, 'results.md'), 'utf8');
    expect(markdown).toContain('Numbers are last-step');
    const cell = JSON.parse(await readFile(join(runDir, 'cells', 'genre-Drama__td__seed0.json'), 'utf8'));
    expect(cell.selection).toBe('last-step');
    expect(cell.selectedStep).toBe(3);
  });

  it('uses the teacher head for LD', async () => {
    const markdown = await readFile(join(runDir, 'results.md'), 'utf8');
    expect(markdown).not.toContain('linear probe');
  });

  it('writes the CKA heatmaps', async () => {
    const files = await readdir(join(runDir, 'cka'));
    expect(files.filter((f) => f.endsWith('.png'))).toHaveLength(2);
  });
});

describe('missing data', () => {
  it('names the MovieLens download', async () => {
    const result = await runCli(['compare', '--preset', 'movielens-paper', '--out', join(dir, 'no-data')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('movielens: no data folder given');
    expect(result.stderr).toContain('https://grouplens.org/datasets/movielens/');
  });

  it('names the missing MovieLens folder', async () => {
    const missing = join(dir, 'nowhere');
    const result = await runCli(['compare', '--preset', 'movielens', '--data', missing, '--out', join(dir, 'no-folder')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`loadMovieLens: ${missing}: MovieLens files not found`);
  });

  it('names the Hugging Face teacher download', async () => {
    const result = await runCli(['compare', '--preset', 'vit-paper', '--out', join(dir, 'no-vit')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('google/vit-base-patch32-224-in21k');
  });

  it('names the CIFAR download', async () => {
    await expect(loadImageSplits({ dataset: 'cifar100', dataPath: join(dir, 'nowhere'), source: 'auto' })).rejects.toThrow(/cifar-100-binary\.tar\.gz/);
  });
});
