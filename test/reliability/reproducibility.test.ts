// Reproducibility: the same seed, config and adapter give bit-identical losses and
// metrics, in one process and across two processes, with dropout and noise on. A
// different seed must change them, or the equality checks would prove nothing.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { buildDistiller, makeDataset, makeSampler, RUN_CONFIG, shortRun, trainSteps, type RunRecord } from './td-run.js';

const run = promisify(execFile);

/** Runs repro-run.ts in a new Node process and parses the JSON line it prints. */
async function runInChild(): Promise<RunRecord> {
  const { stdout } = await run('npx', ['tsx', 'test/reliability/repro-run.ts'], {
    cwd: process.cwd(),
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
    timeout: 120_000,
  });
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as RunRecord;
}

describe('reproducibility', () => {
  it('same seed in one process', async () => {
    const first = await shortRun();
    const second = await shortRun();
    expect(second.losses).toEqual(first.losses);
    expect(second.metrics).toEqual(first.metrics);
    expect(first.losses.length).toBe(9);
  });

  it('other seed changes losses', async () => {
    const data = makeDataset();
    const a = await trainSteps(buildDistiller(), makeSampler(), data, 3);
    const b = await trainSteps(buildDistiller({ ...RUN_CONFIG, seed: 1235 }), makeSampler(), data, 3);
    expect(b).not.toEqual(a);
  });

  it('dropout changes losses', async () => {
    // Guards the dropout path: with p = 0 the losses must differ from the p = 0.3 run.
    const data = makeDataset();
    const withDropout = await trainSteps(buildDistiller(), makeSampler(), data, 3);
    const without = await trainSteps(buildDistiller({ ...RUN_CONFIG, dropout: 0 }), makeSampler(), data, 3);
    expect(without).not.toEqual(withDropout);
  });

  it('same seed across processes', async () => {
    const inProcess = await shortRun();
    // One child at a time: lavapipe already uses every core.
    const first = await runInChild();
    const second = await runInChild();
    expect(first.losses).toEqual(inProcess.losses);
    expect(first.metrics).toEqual(inProcess.metrics);
    expect(second.losses).toEqual(first.losses);
    expect(second.metrics).toEqual(first.metrics);
  });
});
