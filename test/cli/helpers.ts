// Runs the talkgrad CLI through its real entry point (bin/talkgrad.js) in a child
// process, and writes tiny experiment configs for the CLI tests.

import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/talkgrad.js', import.meta.url));
export const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts `talkgrad <args>` in the repository folder with stderr not a terminal (no progress bars). */
export function startCli(args: string[]): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPOSITORY, env: { ...process.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => (stdout += chunk));
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done };
}

export async function runCli(args: string[]): Promise<CliResult> {
  return startCli(args).done;
}

/**
 * Returns a tiny image experiment on the embedded Fashion-MNIST subset: ViT dim 8 with 2x2
 * patches of 14 pixels, a few labeled images, a few steps. `overrides` replaces top-level keys.
 */
export function tinyImageConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'tiny',
    seeds: [0, 1],
    methods: ['scratch', 'ld', 'td'],
    ablations: ['td-k0'],
    training: { steps: 4, batchSize: 6, evalEvery: 2, checkpointEvery: 2, evalBatchSize: 40 },
    distill: { messageDim: 6, hiddenDim: 10 },
    search: {
      ld: [{ wLogit: 0.5 }, { wLogit: 1 }],
      fd: [{ wFeature: 1 }, { wFeature: 2 }],
      fitnet: [{ wFitnet: 1 }, { wFitnet: 2 }],
      hybrid: [{ wLogit: 1, wFeature: 1 }, { wLogit: 2, wFeature: 2 }],
      td: [{ wInteract: 0.5, wSC: 0.5, wMC: 0.5 }, { wInteract: 1, wSC: 1, wMC: 1 }],
    },
    ablation: { studentOnlySteps: 1, communicationOnlySteps: 1 },
    images: {
      tasks: [{ name: 'fmnist', source: 'embedded', downstreamClasses: [5, 6, 7, 8, 9], pretrainClasses: [0, 1, 2, 3, 4], labelsPerClass: 3, validationPerClass: 3, evaluationPerClass: 7 }],
      teacher: { source: 'embedded', vit: { patchSize: 14, dim: 8, heads: 2, depth: 2, mlpDim: 12, split: 1 }, steps: 4, batchSize: 16 },
      student: { blocks: 1, split: 1 },
      probe: { epochs: 2 },
    },
    cka: { enabled: true, examplesPerClass: 3 },
    ...overrides,
  };
}

export async function writeConfig(dir: string, name: string, config: Record<string, unknown>): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(config, null, 2));
  return path;
}
