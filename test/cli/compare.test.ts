// End to end through the real entry point: pretrain a tiny teacher, compare on a tiny
// image config, rerun (every cell is skipped), run two shards and merge them. The
// merged summary must equal the unsharded one.

import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { main } from '../../src/cli/main.js';
import { runCli, tinyImageConfig, writeConfig } from './helpers.js';

let dir: string;
let configPath: string;
let runDir: string;
let firstRun: { code: number | null; stdout: string; stderr: string };

const CELLS = 8; // (scratch, ld, td, td-k0) x seeds 0, 1

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'talkgrad-compare-'));
  const teacherPath = join(dir, 'teacher.safetensors');
  const pretrainConfig = await writeConfig(dir, 'pretrain.json', tinyImageConfig());
  const pretrained = await runCli(['pretrain', '--config', pretrainConfig, '--out', teacherPath]);
  if (pretrained.code !== 0) throw new Error(`pretrain failed:\n${pretrained.stderr}`);

  const config = tinyImageConfig();
  (config.images as { teacher: Record<string, unknown> }).teacher.checkpoint = teacherPath;
  configPath = await writeConfig(dir, 'tiny.json', config);
  runDir = join(dir, 'run');
  firstRun = await runCli(['compare', '--config', configPath, '--out', runDir]);
});

describe('talkgrad compare', () => {
  it('exits with 0', () => {
    expect(firstRun.stderr).not.toMatch(/error:/);
    expect(firstRun.code).toBe(0);
  });

  it('logs the adapter', () => {
    expect(firstRun.stderr).toMatch(/adapter: \S+/);
  });

  it('prints the overview table', () => {
    expect(firstRun.stdout).toContain('| method | fmnist (accuracy, higher is better) |');
    expect(firstRun.stdout).toMatch(/\| td \| \d\.\d{4} ± \d\.\d{4} \([+-]\d+\.\d\d%\) \|/);
  });

  it('writes a file per cell', async () => {
    expect(await readdir(join(runDir, 'cells'))).toHaveLength(CELLS);
  });

  it('writes the result files', async () => {
    const names = await readdir(runDir);
    for (const name of ['config.json', 'tasks.json', 'results.json', 'results.csv', 'results.md']) expect(names).toContain(name);
  });

  it('writes the resolved config', async () => {
    const config = JSON.parse(await readFile(join(runDir, 'config.json'), 'utf8'));
    expect(config.training.lr).toBe(0.001);
    expect(config.training.steps).toBe(4);
  });

  it('writes the curve charts', async () => {
    const plots = (await readdir(join(runDir, 'plots'))).sort();
    expect(plots).toEqual(['fmnist-ablations-train-loss.png', 'fmnist-ablations-validation.png', 'fmnist-train-loss.png', 'fmnist-validation.png']);
    const png = await readFile(join(runDir, 'plots', 'fmnist-validation.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  });

  it('writes the CKA heatmap', async () => {
    expect((await readdir(join(runDir, 'cka'))).sort()).toEqual(['fmnist__td__seed0.json', 'fmnist__td__seed0.png']);
  });

  it('states the selection and the probe', async () => {
    const markdown = await readFile(join(runDir, 'results.md'), 'utf8');
    expect(markdown).toContain('Numbers are best-on-validation');
    expect(markdown).toContain('LD and hybrid use a linear probe');
    expect(markdown).toContain('## Ablations');
  });

  it('lists every method in the csv', async () => {
    const csv = await readFile(join(runDir, 'results.csv'), 'utf8');
    expect(csv.trim().split('\n').map((line) => line.split(',')[1])).toEqual(['method', 'scratch', 'ld', 'td', 'td-k0']);
  });

  it('skips finished cells on rerun', async () => {
    const cellFile = join(runDir, 'cells', 'fmnist__td__seed1.json');
    const before = (await stat(cellFile)).mtimeMs;
    const rerun = await runCli(['compare', '--config', configPath, '--out', runDir]);
    expect(rerun.code).toBe(0);
    expect(rerun.stderr).toContain(`sweep: ${CELLS} cells, ${CELLS} already finished`);
    expect(rerun.stderr).toContain(`0 cells run, ${CELLS} already finished`);
    expect((await stat(cellFile)).mtimeMs).toBe(before);
  });

  it('merges shards into the unsharded summary', async () => {
    const shards = [join(dir, 'shard0'), join(dir, 'shard1')];
    expect(await main(['node', 'talkgrad', 'compare', '--config', configPath, '--out', shards[0], '--shard', '0/2'])).toBe(0);
    expect(await main(['node', 'talkgrad', 'compare', '--config', configPath, '--out', shards[1], '--shard', '1/2'])).toBe(0);
    expect(await readdir(join(shards[0], 'cells'))).toHaveLength(CELLS / 2);

    const merged = join(dir, 'merged');
    expect(await main(['node', 'talkgrad', 'merge', ...shards, '--out', merged])).toBe(0);
    const read = async (folder: string) => JSON.parse(await readFile(join(folder, 'results.json'), 'utf8'));
    expect((await read(merged)).rows).toEqual((await read(runDir)).rows);
    expect(await readFile(join(merged, 'results.csv'), 'utf8')).toBe(await readFile(join(runDir, 'results.csv'), 'utf8'));
  });
});

describe('talkgrad config errors', () => {
  it('rejects a bad key before any work', async () => {
    const bad = await writeConfig(dir, 'bad.json', tinyImageConfig({ training: { steps: 4, evalEvery: 0 } }));
    const out = join(dir, 'never');
    const result = await runCli(['compare', '--config', bad, '--out', out]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: ${bad}: training.evalEvery = 0 is invalid: must be a positive integer`);
    await expect(stat(out)).rejects.toThrow(/ENOENT/);
  });

  it('rejects a bad --seeds flag', async () => {
    const result = await runCli(['compare', '--config', configPath, '--seeds', '0,x']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--seeds "0,x" is invalid: expected comma-separated integers');
  });

  it('states units and defaults in help', async () => {
    const result = await runCli(['compare', '--help']);
    expect(result.code).toBe(0);
    // Commander wraps help at the terminal width, so whitespace is normalized first.
    const help = result.stdout.replace(/\s+/g, ' ');
    expect(help).toContain('optimizer steps of every student (default: training.steps, 200 in code)');
    expect(help).toContain('run folder (default runs/<name>)');
  });
});

describe('talkgrad distill and cka', () => {
  it('saves every student and its CKA', async () => {
    const out = join(dir, 'distill');
    expect(await main(['node', 'talkgrad', 'distill', '--method', 'fd', '--config', configPath, '--seeds', '0,1', '--out', out])).toBe(0);
    expect((await readdir(join(out, 'students'))).sort()).toEqual(['fmnist__fd__seed0.safetensors', 'fmnist__fd__seed1.safetensors']);

    expect(await main(['node', 'talkgrad', 'cka', '--run', out])).toBe(0);
    const files = (await readdir(join(out, 'cka'))).sort();
    expect(files).toEqual(['fmnist__fd__seed0.json', 'fmnist__fd__seed0.png', 'fmnist__fd__seed1.json', 'fmnist__fd__seed1.png']);

    const report = JSON.parse(await readFile(join(out, 'cka', 'fmnist__fd__seed1.json'), 'utf8'));
    expect(report.studentRepresentations).toEqual(['s_g', 'e_g', 'm_g']);
    expect(report.classes).toHaveLength(5);
    const values = report.classes.flatMap((c: { cka: (number | null)[][] }) => c.cka.flat());
    // Linear CKA lies in [0, 1]; a tiny slack covers float64 rounding.
    expect(values.every((v: number | null) => v === null || (v >= 0 && v <= 1 + 1e-9))).toBe(true);
  });

  it('rejects a run without students', async () => {
    expect(await main(['node', 'talkgrad', 'cka', '--run', join(dir, 'shard0'), '--cell', 'fmnist__ld__seed0'])).toBe(1);
  });
});
