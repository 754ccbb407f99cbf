// Kernel benchmark: times every registered kernel variant on its family's shapes and
// prints median, min, max and IQR over repeated runs. For families with a composed-*
// variant it also prints the ratio of that variant's median to the fused kernel's.
// JSON goes to bench/results/. Run: npm run bench -- [--quick] [--kernels=matmul,attention] ...

import { mkdirSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { noGrad } from '../src/autograd/grad-mode.js';
import { init } from '../src/gpu/device.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { attentionFamily } from './family-attention.js';
import { matmulFamily } from './family-matmul.js';
import { rowFamilies } from './family-rows.js';
import { randomTensor } from './inputs.js';
import { variantsOf, type BenchCase, type Family, type KernelVariant, type Pass } from './registry.js';
import { compareComposed, COMPARISON_HEADER, formatComparison, formatRow, TABLE_HEADER, writeResults, type ResultRow } from './report.js';
import { summarize, timeOp } from './timer.js';
import './variants/index.js';

const HELP = `Usage: npm run bench -- [options]
  --quick              fewer shapes and repetitions (about 10 s on lavapipe, 2 cores)
  --kernels=a,b        families or variant names to run (matmul, matmul-simple, attention,
                       layerNorm, softmax, crossEntropy, composed-attention, composed-softmax,
                       composed-layerNorm, composed-crossEntropy); default all. A family name
                       includes its composed-* variant, whose time is then also printed as a
                       ratio to the fused kernel's
  --shapes=a,b         run only shapes whose label contains one of these strings (e.g. 1024^3,197)
  --reps=N             timed runs per shape (default per shape: 3 to 15)
  --wall               time submit-to-completion on the CPU clock even where GPU timestamps exist
  --out=FILE           JSON output path (default bench/results/kernels-<date>.json)
  --help               print this help`;

interface Options {
  quick: boolean;
  kernels: string[] | null;
  shapes: string[] | null;
  reps: number | null;
  wall: boolean;
  out: string | undefined;
}

function fail(message: string): never {
  console.error(`bench: ${message}\n${HELP}`);
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const options: Options = { quick: false, kernels: null, shapes: null, reps: null, wall: false, out: undefined };
  for (const arg of argv) {
    const [flag, value] = arg.split('=', 2);
    if (flag === '--help' && value === undefined) {
      console.log(HELP);
      process.exit(0);
    } else if (flag === '--quick' && value === undefined) options.quick = true;
    else if (flag === '--wall' && value === undefined) options.wall = true;
    else if (flag === '--kernels' && value) options.kernels = value.split(',');
    else if (flag === '--shapes' && value) options.shapes = value.split(',');
    else if (flag === '--out' && value) options.out = value;
    else if (flag === '--reps' && Number.isInteger(Number(value)) && Number(value) > 0) options.reps = Number(value);
    else if (flag === '--reps') fail(`--reps must be a positive integer, got '${value ?? ''}'`);
    else fail(`invalid option '${arg}'`);
  }
  return options;
}

/**
 * Records the gradient functions of every node between `out` and its leaves, in
 * reverse topological order, as autograd's backward does, but leaves the leaves'
 * `.grad` alone: accumulating into it would add the same copy to every variant.
 * For a fused op that is its one gradient function; for a composed op, all of them.
 */
function recordGraphBackward(out: Tensor, dy: Tensor): void {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const visit = (t: Tensor): void => {
    if (visited.has(t) || t.gradFn === null) return;
    visited.add(t);
    for (const input of t.gradFn.inputs) if (input.requiresGrad) visit(input);
    order.push(t);
  };
  visit(out);

  const grads = new Map<Tensor, Tensor>([[out, dy]]);
  noGrad(() => {
    for (let i = order.length - 1; i >= 0; i--) {
      const node = order[i].gradFn;
      const g = grads.get(order[i]);
      if (node === null || g === undefined) continue;
      const inputGrads = node.backward(g);
      node.inputs.forEach((input, k) => {
        const gi = inputGrads[k];
        if (gi === null || gi === undefined || !input.requiresGrad) return;
        const previous = grads.get(input);
        grads.set(input, previous === undefined ? gi : previous.add(gi));
      });
    }
  });
}

/** Times one pass of one case; the backward pass times the gradient functions of the op's whole graph. */
async function timeCase(variant: KernelVariant, c: BenchCase, pass: Pass, options: Options): Promise<ResultRow> {
  const row: ResultRow = { family: variant.family, variant: variant.name, shape: c.label, pass };
  const inputs = c.makeInputs(pass === 'backward');
  const owned: Tensor[] = [...inputs];
  try {
    let record: () => void;
    if (pass === 'forward') {
      record = () => void noGrad(() => variant.run(inputs));
    } else {
      const out = variant.run(inputs);
      if (out.gradFn === null) throw new Error('the output has no gradient function');
      const dy = randomTensor([...out.shape]);
      owned.push(out, dy);
      record = () => recordGraphBackward(out, dy);
    }
    const timing = await timeOp(record, { warmup: c.warmup, reps: options.reps ?? c.reps, wall: options.wall });
    const summary = summarize(timing.ms);
    Object.assign(row, summary, { method: timing.method, warmup: c.warmup, ms: timing.ms });
    const seconds = summary.medianMs / 1000;
    if (c.flops) row.gflops = c.flops[pass] / seconds / 1e9;
    if (c.bytes) row.gbps = c.bytes[pass] / seconds / 1e9;
  } catch (error) {
    row.error = `error: ${(error as Error).message}`;
  } finally {
    for (const t of owned) t.dispose();
  }
  return row;
}

function adapterInfo(adapter: GPUAdapter): Record<string, unknown> {
  const info = adapter.info as unknown as Record<string, unknown>;
  const keys = ['vendor', 'architecture', 'device', 'description', 'subgroupMinSize', 'subgroupMaxSize', 'isFallbackAdapter'];
  return Object.fromEntries(keys.filter((k) => info[k] !== undefined).map((k) => [k, info[k]]));
}

function selected(options: Options, family: Family, variant: KernelVariant): boolean {
  return options.kernels === null || options.kernels.includes(family.name) || options.kernels.includes(variant.name);
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  // Mesa warns on every start without XDG_RUNTIME_DIR; a private directory silences it.
  if (process.env.XDG_RUNTIME_DIR === undefined) {
    const dir = `${tmpdir()}/talkgrad-xdg`;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir;
  }
  const loadAverageStart = loadavg();
  const gpu = await init();
  const families: Family[] = [matmulFamily, attentionFamily, ...rowFamilies()];
  const known = new Set([...families.map((f) => f.name as string), ...families.flatMap((f) => variantsOf(f.name).map((v) => v.name))]);
  const unknown = (options.kernels ?? []).filter((k) => !known.has(k));
  if (unknown.length > 0) fail(`unknown kernel '${unknown.join("', '")}'; known: ${[...known].join(', ')}`);
  const labels = families.flatMap((f) => f.cases(options.quick).map((c) => c.label));
  const unmatched = (options.shapes ?? []).filter((s) => !labels.some((label) => label.includes(s)));
  if (unmatched.length > 0) fail(`no shape label contains '${unmatched.join("', '")}'; labels: ${[...new Set(labels)].join(', ')}`);
  const timing = gpu.hasTimestamps && !options.wall ? 'GPU timestamp queries (time of the op\'s dispatches)' : 'wall clock, submit to completion';
  console.log(`adapter: ${gpu.adapterName}`);
  console.log(`timing: ${timing}; load average at start ${loadAverageStart.map((l) => l.toFixed(2)).join(' ')}`);
  for (const family of families) console.log(`${family.name}: ${family.workModel}`);
  console.log(`\n${TABLE_HEADER}`);

  const rows: ResultRow[] = [];
  for (const family of families) {
    // The library variant (named after its family) first, so the table reads fused, then alternatives.
    const chosen = variantsOf(family.name).filter((v) => selected(options, family, v));
    chosen.sort((a, b) => Number(b.name === family.name) - Number(a.name === family.name));
    for (const variant of chosen) {
      const failure = await family.check(variant).catch((error: Error) => `error: ${error.message}`);
      const cases = family.cases(options.quick).filter((c) => options.shapes === null || options.shapes.some((s) => c.label.includes(s)));
      for (const c of cases) {
        for (const pass of c.passes) {
          const row: ResultRow = failure === null
            ? await timeCase(variant, c, pass, options)
            : { family: family.name, variant: variant.name, shape: c.label, pass, error: `not timed, reference check failed: ${failure}` };
          rows.push(row);
          console.log(formatRow(row));
        }
      }
    }
  }

  const comparisons = compareComposed(rows);
  if (comparisons.length > 0) {
    console.log(`\ncomposed from primitive ops vs fused kernel (median ms; ratio above 1: fused is faster)\n${COMPARISON_HEADER}`);
    for (const c of comparisons) console.log(formatComparison(c));
  }

  const file = writeResults(rows, comparisons, {
    adapter: gpu.adapterName,
    adapterInfo: adapterInfo(gpu.adapter),
    args: process.argv.slice(2),
    workModels: Object.fromEntries(families.map((f) => [f.name, f.workModel])),
    loadAverageStart,
  }, options.out);
  console.log(`\nload average at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}; results written to ${file}`);
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(`bench failed: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
