// Kill and resume: a compare child process is killed (SIGKILL) while its only cell is
// in its second search point. The rerun resumes from the cell checkpoint and must give
// bit-identical metrics and curves to an uninterrupted run of the same config.

import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { main } from '../../src/cli/main.js';
import type { CellResult } from '../../src/experiments/cells.js';
import { loadSafetensors } from '../../src/io/files-node.js';
import { runCli, startCli, tinyImageConfig, writeConfig } from './helpers.js';

const CELL = 'fmnist__td__seed0';

/** Returns the (point, step) of the cell checkpoint, or null while there is none. */
async function checkpointPosition(runDir: string): Promise<{ point: number; step: number } | null> {
  try {
    const contents = await loadSafetensors(join(runDir, 'checkpoints', `${CELL}.safetensors`));
    const { progress } = JSON.parse(contents.metadata['talkgrad.cell']) as { progress: { point: number; step: number } };
    return progress;
  } catch {
    return null;
  }
}

async function readCell(runDir: string): Promise<CellResult> {
  return JSON.parse(await readFile(join(runDir, 'cells', `${CELL}.json`), 'utf8')) as CellResult;
}

let reference: CellResult;
let resumed: CellResult;
let killedAt: { point: number; step: number } | null = null;
let cellsAfterKill: string[] = [];
let resumeLog = '';

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'talkgrad-resume-'));
  const teacher = join(dir, 'teacher.safetensors');
  const base = tinyImageConfig({
    seeds: [0],
    methods: ['td'],
    ablations: [],
    training: { steps: 24, batchSize: 6, evalEvery: 2, checkpointEvery: 2, evalBatchSize: 40 },
    cka: { enabled: false, examplesPerClass: 3 },
  });
  expect(await main(['node', 'talkgrad', 'pretrain', '--config', await writeConfig(dir, 'pretrain.json', base), '--out', teacher])).toBe(0);
  (base.images as { teacher: Record<string, unknown> }).teacher.checkpoint = teacher;
  const config = await writeConfig(dir, 'resume.json', base);

  const interrupted = join(dir, 'interrupted');
  const { child, done } = startCli(['compare', '--config', config, '--out', interrupted]);
  while (child.exitCode === null) {
    const position = await checkpointPosition(interrupted);
    if (position !== null && position.point === 1) {
      child.kill('SIGKILL');
      killedAt = position;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await done;
  cellsAfterKill = await readdir(join(interrupted, 'cells'));

  const rerun = await runCli(['compare', '--config', config, '--out', interrupted]);
  resumeLog = rerun.stderr;
  resumed = await readCell(interrupted);

  // A child process like the others, so all three runs load the same sources.
  const straight = join(dir, 'straight');
  expect((await runCli(['compare', '--config', config, '--out', straight])).code).toBe(0);
  reference = await readCell(straight);
});

describe('cell resume', () => {
  it('kills during the second search point', () => {
    expect(killedAt?.point).toBe(1);
    expect(cellsAfterKill).toEqual([]);
  });

  it('resumes from the checkpoint', () => {
    expect(resumeLog).toMatch(/cell fmnist\/td\/seed 0: resuming search point 2\/2 at step \d+/);
  });

  it('gives the same evaluation metric', () => {
    expect(resumed.evalMetric).toBe(reference.evalMetric);
    expect(resumed.validationMetric).toBe(reference.validationMetric);
    expect(resumed.selectedStep).toBe(reference.selectedStep);
  });

  it('gives the same curve', () => {
    expect(resumed.curve).toEqual(reference.curve);
  });

  it('gives the same search results', () => {
    expect(resumed.search).toEqual(reference.search);
    expect(resumed.hyperparameters).toEqual(reference.hyperparameters);
  });
});
