// Training-step benchmark. It times whole training steps (forward, backward, Adam) of
// the reference models in talkgrad, in TensorFlow.js WebGPU and in PyTorch on the CPU
// (each peer in a child process), and talkgrad's distillation steps. It prints the
// step times, the ratios and the GPU time by op, and writes JSON to bench/results/.
// Run: npm run bench:steps -- [--quick] [--only=mlp,td-vit] [--steps=N] ...

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { init } from '../../src/gpu/device.js';
import { tuneMatmul } from '../../src/ops/matmul-autotune.js';
import type { StepProfile } from '../../src/gpu/profiler.js';
import type { StepCase, StepSummary, TimingPlan } from './protocol.js';
import { profileTable, ratios, ratioTable, stepTable, writeJson } from './report.js';
import { mlpReferenceCase, vitReferenceCase } from './talkgrad-reference.js';
import { runTalkgradCase } from './talkgrad-run.js';
import { mlpDistillCase, vitDistillCase } from './talkgrad-td.js';

const EVERY = 10;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const TALKGRAD_CASES: Record<string, (seed: number) => StepCase | Promise<StepCase>> = {
  mlp: mlpReferenceCase,
  vit: vitReferenceCase,
  'td-mlp': (seed) => mlpDistillCase('td', seed),
  'scratch-mlp': (seed) => mlpDistillCase('scratch', seed),
  'td-vit': (seed) => vitDistillCase('td', seed),
  'scratch-vit': (seed) => vitDistillCase('scratch', seed),
};
const PEER_MODELS = ['mlp', 'vit'];

const HELP = `Usage: npm run bench:steps -- [options]
Times whole training steps; the loss is read back every ${EVERY} steps and the step time counts those reads.
  --quick          3 warm-up and 20 timed steps per case (default 10 and 50)
  --only=a,b       cases to run: ${Object.keys(TALKGRAD_CASES).join(', ')} (mlp and vit also run
                   in TF.js and PyTorch); default all
  --steps=N        timed steps per case, rounded up to a multiple of ${EVERY}
  --no-tfjs        skip TensorFlow.js WebGPU
  --no-torch       skip PyTorch on the CPU
  --python=PATH    Python with torch for the PyTorch runs (default /usr/bin/python3)
  --seed=N         seed of the weights and the random batches (default 0)
  --out=FILE       JSON output path (default bench/results/steps-<date>.json)
  --help           print this help`;

interface Options {
  quick: boolean;
  only: string[] | null;
  steps: number | null;
  tfjs: boolean;
  torch: boolean;
  python: string;
  seed: number;
  out: string | undefined;
}

function fail(message: string): never {
  console.error(`bench:steps: ${message}\n${HELP}`);
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const options: Options = { quick: false, only: null, steps: null, tfjs: true, torch: true, python: '/usr/bin/python3', seed: 0, out: undefined };
  for (const arg of argv) {
    const [flag, value] = arg.split('=', 2);
    if (flag === '--help') {
      console.log(HELP);
      process.exit(0);
    } else if (flag === '--quick') options.quick = true;
    else if (flag === '--no-tfjs') options.tfjs = false;
    else if (flag === '--no-torch') options.torch = false;
    else if (flag === '--only' && value) options.only = value.split(',');
    else if (flag === '--python' && value) options.python = value;
    else if (flag === '--out' && value) options.out = value;
    else if (flag === '--steps' && Number.isInteger(Number(value)) && Number(value) > 0) options.steps = Number(value);
    else if (flag === '--seed' && Number.isInteger(Number(value)) && Number(value) >= 0) options.seed = Number(value);
    else fail(`invalid option '${arg}'`);
  }
  const unknown = (options.only ?? []).filter((name) => !(name in TALKGRAD_CASES));
  if (unknown.length > 0) fail(`unknown case ${unknown.join(', ')} in --only (known: ${Object.keys(TALKGRAD_CASES).join(', ')})`);
  return options;
}

interface ChildOutput {
  results: StepSummary[];
  info: Record<string, unknown>;
  error: string | null;
}

/** Runs a child benchmark and collects its "RESULT <json>" and "INFO <json>" lines. A failure is returned, not thrown. */
function runChild(command: string, args: string[], label: string): Promise<ChildOutput> {
  return new Promise((resolve) => {
    const out: ChildOutput = { results: [], info: {}, error: null };
    const child = spawn(command, args, { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      let newline: number;
      while ((newline = stdout.indexOf('\n')) >= 0) {
        const line = stdout.slice(0, newline);
        stdout = stdout.slice(newline + 1);
        if (line.startsWith('RESULT ')) {
          const result = JSON.parse(line.slice(7)) as StepSummary;
          out.results.push(result);
          console.log(`  ${label} ${result.model} ${result.framework}: ${result.medianMs.toFixed(1)} ms per step`);
        } else if (line.startsWith('INFO ')) Object.assign(out.info, JSON.parse(line.slice(5)));
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => {
      out.error = `${label}: could not start ${command}: ${error.message}`;
      resolve(out);
    });
    child.on('close', (code) => {
      if (code !== 0) {
        // Dawn prints a warning per device about reduced limits, and the rest is the error.
        const lines = stderr.split('\n').filter((l) => l.trim() !== '' && !l.includes('artificially reduced'));
        out.error = `${label} exited with code ${code}: ${lines.slice(-5).join(' | ')}`;
      }
      resolve(out);
    });
  });
}

/** Returns one error per model whose frameworks report different parameter counts, because then the sizes differ. */
function parameterMismatches(results: StepSummary[]): string[] {
  const errors: string[] = [];
  for (const model of new Set(results.map((r) => r.model))) {
    const runs = results.filter((r) => r.model === model);
    if (new Set(runs.map((r) => r.parameters)).size > 1) {
      const counts = runs.map((r) => `${r.framework} ${r.parameters}`).join(', ');
      errors.push(`${model}: parameter counts differ between frameworks (${counts}); make the model sizes equal`);
    }
  }
  return errors;
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

function formatLoad(load: number[]): string {
  return load.map((l) => l.toFixed(2)).join(' ');
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options.torch && !existsSync(options.python)) {
    console.error(`bench:steps: Python not found at ${options.python}; pass --python=PATH to a Python with torch, or --no-torch`);
    process.exit(2);
  }
  // Mesa warns on every start without XDG_RUNTIME_DIR, and a private directory silences it.
  if (process.env.XDG_RUNTIME_DIR === undefined) {
    const dir = `${tmpdir()}/talkgrad-xdg`;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir;
  }
  const steps = options.steps ?? (options.quick ? 20 : 50);
  const plan: TimingPlan = { warmupSteps: options.quick ? 3 : 10, blocks: Math.ceil(steps / EVERY), every: EVERY };
  const selected = (name: string) => options.only === null || options.only.includes(name);
  const loadAtStart = loadavg();
  const startedAt = new Date();

  const gpu = await init();
  // Tune before timing, so a background autotune never runs during a timed step.
  const tiling = await tuneMatmul();
  console.log(`talkgrad matmul tiling: ${tiling.lanes} lanes, ${tiling.rows} rows, ${tiling.cols} vec4 columns`);
  console.log(`adapter: ${gpu.adapterName}; timestamps: ${gpu.hasTimestamps}; ${cpus().length} CPUs; load average at start ${formatLoad(loadAtStart)}`);
  console.log(`plan: ${plan.warmupSteps} warm-up steps, then ${plan.blocks} ${plan.blocks === 1 ? 'block' : 'blocks'} of ${plan.every} steps, each ending with a loss read\n`);

  const results: StepSummary[] = [];
  const profiles: Record<string, StepProfile> = {};
  const errors: string[] = [];
  for (const [name, build] of Object.entries(TALKGRAD_CASES)) {
    if (!selected(name)) continue;
    const c = await build(options.seed);
    try {
      const { summary, profile } = await runTalkgradCase(c, plan);
      results.push(summary);
      profiles[name] = profile;
      console.log(`  talkgrad ${name}: ${summary.medianMs.toFixed(1)} ms per step`);
    } catch (error) {
      errors.push(`talkgrad ${name}: ${(error as Error).message}`);
      console.error(`  talkgrad ${name} failed: ${(error as Error).message}`);
    } finally {
      c.dispose();
    }
  }

  const peers = PEER_MODELS.filter(selected);
  const planArgs = [`--warmup=${plan.warmupSteps}`, `--blocks=${plan.blocks}`, `--every=${plan.every}`, `--seed=${options.seed}`];
  const info: Record<string, unknown> = {};
  if (options.tfjs && peers.length > 0) {
    const child = await runChild(process.execPath, ['--import', 'tsx', 'bench/steps/tfjs-steps.ts', `--models=${peers.join(',')}`, ...planArgs], 'tfjs');
    results.push(...child.results);
    info.tfjs = child.info;
    if (child.error !== null) errors.push(child.error);
  }
  if (options.torch && peers.length > 0) {
    const child = await runChild(options.python, ['bench/steps/torch_steps.py', `--models=${peers.join(',')}`, '--threads=1,2', ...planArgs], 'torch');
    results.push(...child.results);
    info.torch = child.info;
    if (child.error !== null) errors.push(child.error);
  }
  const loadAtEnd = loadavg();
  errors.push(...parameterMismatches(results));

  console.log(`\nStep time (median, min and max over blocks of ${EVERY} steps, loss read included)\n`);
  console.log(stepTable(results));
  const compared = ratios(results);
  if (compared.length > 0) {
    console.log('\nRatios: how many times faster talkgrad is (other framework ms / talkgrad ms; target vs TF.js: 3x)\n');
    console.log(ratioTable(compared));
  }
  console.log('\nGPU time by op of one step (talkgrad)\n');
  for (const [name, profile] of Object.entries(profiles)) {
    console.log(`${profileTable(name, profile)}\n`);
  }
  for (const error of errors) console.error(`error: ${error}`);
  console.log(`load average at end ${formatLoad(loadAtEnd)}`);

  const path = options.out ?? `${ROOT}bench/results/steps-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`;
  const packageVersion = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string }).version;
  writeJson(path, {
    date: startedAt.toISOString(),
    command: `npm run bench:steps -- ${process.argv.slice(2).join(' ')}`.trim(),
    talkgrad: { version: packageVersion, commit: gitCommit() },
    adapter: gpu.adapterName,
    timestamps: gpu.hasTimestamps,
    cpus: cpus().length,
    loadAverage: { start: loadAtStart, end: loadAtEnd },
    node: process.version,
    plan,
    peers: info,
    results,
    ratios: compared,
    profiles,
    errors,
  });
  console.log(`wrote ${path}`);
  process.exit(errors.length > 0 ? 1 : 0);
}

main().catch((error: Error) => {
  console.error(`bench:steps failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
