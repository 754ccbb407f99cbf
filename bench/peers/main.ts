// Peer benchmark: times talkgrad, TensorFlow.js (WebGPU backend) and ONNX Runtime
// Web (WebGPU execution provider) side by side in one Node process on the same
// adapter, checks every peer's output against talkgrad's, prints one table and writes
// JSON to bench/results/. Run: npm run bench:peers -- [--quick] [--only=matmul] ...

import { mkdirSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { init } from '../../src/gpu/device.js';
import { tuneMatmul } from '../../src/ops/matmul-autotune.js';
import { peerCases, type CaseGroup } from './cases.js';
import { installNavigatorGpu, waitForBackgroundCompilation } from './node-webgpu.js';
import { maxAbsDiff, timeWall, type Peer, type PeerCase, type PeerPass } from './peer.js';
import { loadOrt } from './peer-ort.js';
import { talkgradPeer } from './peer-talkgrad.js';
import { loadTfjs } from './peer-tfjs.js';
import { computeSpeedup, formatPeerRow, rowNotes, tableHeader, writePeerResults, type LibraryResult, type OutputCheck, type PeerRow } from './report.js';

const GROUPS: CaseGroup[] = ['matmul', 'attention', 'rows'];
const PEERS = ['tfjs', 'ort'];

const HELP = `Usage: npm run bench:peers -- [options]
  --quick              fewer shapes and repetitions (the kernel benchmark's quick lists)
  --only=a,b           case groups to run: matmul, attention, rows (layerNorm, softmax,
                       crossEntropy); default all
  --reps=N             timed runs per shape and pass (default per shape: 3 to 15)
  --peers=a,b          peers to load: tfjs, ort; default both
  --out=FILE           JSON output path (default bench/results/peers-<date>.json)
  --help               print this help`;

const TIMING = 'wall clock per run, from recording to the resolution of onSubmittedWorkDone() on the library\'s own ' +
  'device after its submit; inputs already on the GPU, no read-back; median (min-max) of the timed runs after warm-up';

// Each library sums in its own order, so f32 results differ by about 2^-24 * sqrt(terms)
// relative to the largest value (under 3e-6 for 2048 terms). 1e-4 of the largest
// output leaves margin, while a wrong operand, transpose or scale differs by O(1).
const RTOL = 1e-4;
const ATOL = 1e-6;

interface Options {
  quick: boolean;
  groups: CaseGroup[];
  reps: number | null;
  peers: string[];
  out: string | undefined;
}

function fail(message: string): never {
  console.error(`bench:peers: ${message}\n${HELP}`);
  process.exit(2);
}

function parseList<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T[] {
  const items = (value ?? '').split(',').filter((s) => s !== '');
  const unknown = items.filter((s) => !allowed.includes(s as T));
  if (items.length === 0 || unknown.length > 0) fail(`invalid ${flag} value '${value ?? ''}'; expected one or more of ${allowed.join(', ')}`);
  return items as T[];
}

function parseArgs(argv: string[]): Options {
  const options: Options = { quick: false, groups: GROUPS, reps: null, peers: PEERS, out: undefined };
  for (const arg of argv) {
    const [flag, value] = arg.split('=', 2);
    if (flag === '--help') {
      console.log(HELP);
      process.exit(0);
    } else if (flag === '--quick' && value === undefined) options.quick = true;
    else if (flag === '--only') options.groups = parseList(flag, value, GROUPS);
    else if (flag === '--peers') options.peers = parseList(flag, value, PEERS);
    else if (flag === '--out' && value) options.out = value;
    else if (flag === '--reps' && Number.isInteger(Number(value)) && Number(value) > 0) options.reps = Number(value);
    else fail(`invalid option '${arg}'`);
  }
  return options;
}

function packageVersion(name: string): string {
  const path = name === 'talkgrad' ? '../../package.json' : `../../node_modules/${name}/package.json`;
  try {
    return (JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { version: string }).version;
  } catch (error) {
    return `unknown (${(error as Error).message})`;
  }
}

function checkOutputs(actual: Float32Array[], expected: Float32Array[]): OutputCheck {
  let diff = expected.length === actual.length ? 0 : Number.NaN;
  let scale = 0;
  let ok = !Number.isNaN(diff);
  for (let i = 0; i < expected.length && ok; i++) {
    const result = maxAbsDiff(actual[i], expected[i]);
    diff = Math.max(diff, result.diff);
    scale = Math.max(scale, result.scale);
    ok = result.diff <= RTOL * result.scale + ATOL;
  }
  return { maxAbsDiff: diff, maxAbsReference: scale, tolerance: RTOL * scale + ATOL, ok };
}

function workRate(c: PeerCase, pass: PeerPass, ms: number): { unit?: 'GFLOP/s' | 'GB/s'; rate?: number } {
  if (c.flops !== undefined) return { unit: 'GFLOP/s', rate: c.flops[pass] / (ms / 1000) / 1e9 };
  if (c.bytes !== undefined) return { unit: 'GB/s', rate: c.bytes[pass] / (ms / 1000) / 1e9 };
  return {};
}

/** Prepares, checks against `reference` (when given) and times one library on one pass. */
async function measure(peer: Peer, c: PeerCase, pass: PeerPass, reps: number, reference: Float32Array[] | null): Promise<{ result: LibraryResult; outputs?: Float32Array[] }> {
  const result: LibraryResult = { library: peer.name };
  let run;
  try {
    run = await peer.prepare(c, pass);
  } catch (error) {
    result.error = (error as Error).message;
    return { result };
  }
  try {
    // The first run is the output check and also the first warm-up run.
    const outputs = await run.outputs();
    if (reference !== null) {
      result.check = checkOutputs(outputs, reference);
      if (!result.check.ok) {
        result.error = `output differs from talkgrad's by ${result.check.maxAbsDiff.toExponential(2)} (tolerance ${result.check.tolerance.toExponential(2)}); not timed`;
        return { result };
      }
    }
    result.timing = await timeWall(run, c.warmup, reps);
    result.rate = workRate(c, pass, result.timing.medianMs).rate;
    if (run.gpuTimeMs !== undefined) result.gpuMs = await run.gpuTimeMs();
    return { result, outputs };
  } catch (error) {
    result.error = (error as Error).message;
    return { result };
  } finally {
    run.dispose();
  }
}

/** Loads each requested peer. A peer that fails to load goes into `errors` and is skipped. */
async function loadPeers(names: string[], errors: Record<string, string>): Promise<Peer[]> {
  const peers: Peer[] = [];
  if (names.includes('tfjs')) {
    try {
      peers.push(await loadTfjs(packageVersion('@tensorflow/tfjs-core')));
    } catch (error) {
      errors.tfjs = (error as Error).message;
    }
  }
  if (names.includes('ort')) {
    try {
      const { composed, fused } = await loadOrt(packageVersion('onnxruntime-web'));
      // ORT instantiates its wasm module with the first session. V8 then compiles it in
      // the background, and that must finish before anything is timed.
      const tiny: PeerCase = {
        op: 'matmul', label: 'load', inputs: [{ shape: [2, 3], values: new Float32Array(6) }, { shape: [3, 2], values: new Float32Array(6) }],
        dy: { shape: [2, 2], values: new Float32Array(4) }, passes: ['forward'], warmup: 0, reps: 0,
      };
      const run = await composed.prepare(tiny, 'forward');
      const started = performance.now();
      await waitForBackgroundCompilation();
      await run.once();
      run.dispose();
      console.log(`ort: waited ${((performance.now() - started) / 1000).toFixed(1)} s for V8 to compile the wasm module`);
      peers.push(composed, fused);
    } catch (error) {
      errors.ort = (error as Error).message;
    }
  }
  return peers;
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
  installNavigatorGpu();
  const gpu = await init();
  // Tune before timing, so a background autotune never runs during a timed run.
  const tiling = await tuneMatmul();
  console.log(`talkgrad matmul tiling: ${tiling.lanes} lanes, ${tiling.rows} rows, ${tiling.cols} vec4 columns`);
  const versions: Record<string, string> = {
    talkgrad: packageVersion('talkgrad'),
    '@tensorflow/tfjs-core': packageVersion('@tensorflow/tfjs-core'),
    '@tensorflow/tfjs-backend-webgpu': packageVersion('@tensorflow/tfjs-backend-webgpu'),
    'onnxruntime-web': packageVersion('onnxruntime-web'),
    webgpu: packageVersion('webgpu'),
  };
  const loadErrors: Record<string, string> = {};
  const peers = await loadPeers(options.peers, loadErrors);
  const libraries = ['talkgrad', ...options.peers.flatMap((p) => (p === 'ort' ? ['ort', 'ort-fused'] : [p]))];
  const gpuLibraries = ['talkgrad', 'tfjs'].filter((l) => libraries.includes(l));
  const info = gpu.adapter.info as unknown as Record<string, unknown>;
  const adapterInfo = Object.fromEntries(['vendor', 'architecture', 'device', 'description'].map((k) => [k, info[k]]));

  console.log(`date: ${new Date().toISOString()}; node ${process.version}; load average ${loadAverageStart.map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`adapter: ${gpu.adapterName}`);
  console.log(`versions: ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  for (const [name, message] of Object.entries(loadErrors)) console.log(`${name}: failed to load, not timed: ${message}`);
  console.log(`timing: ${TIMING}`);
  console.log('rate: GFLOP/s for matmul and attention, GB/s for layerNorm, softmax and crossEntropy (work models as in npm run bench);');
  console.log('speedup: median ms of the fastest peer / talkgrad median ms; ort-fused is com.microsoft MultiHeadAttention');
  console.log(`gpu ms: each library's own timestamp queries (talkgrad: one pass around the op; tfjs: tf.time kernelMs, one pass per kernel)\n`);

  const cases = await peerCases(options.groups, options.quick);
  const talkgrad = talkgradPeer(versions.talkgrad);
  console.log(tableHeader(libraries, gpuLibraries));
  const rows: PeerRow[] = [];
  const notes: string[] = [];
  for (const c of cases) {
    for (const pass of c.passes) {
      const reps = options.reps ?? c.reps;
      const own = await measure(talkgrad, c, pass, reps, null);
      const row: PeerRow = { op: c.op, shape: c.label, pass, unit: workRate(c, pass, 1).unit, results: [own.result] };
      for (const peer of peers) {
        if (own.outputs === undefined) row.results.push({ library: peer.name, error: 'not run: talkgrad failed, so there is no reference output' });
        else row.results.push((await measure(peer, c, pass, reps, own.outputs)).result);
      }
      for (const library of libraries.filter((l) => !row.results.some((r) => r.library === l))) {
        row.results.push({ library, error: `not loaded: ${loadErrors[library === 'ort-fused' ? 'ort' : library]}` });
      }
      computeSpeedup(row);
      rows.push(row);
      notes.push(...rowNotes(row));
      console.log(formatPeerRow(row, libraries, gpuLibraries));
    }
  }
  if (notes.length > 0) console.log(`\n${notes.join('\n')}`);

  const loadAverageEnd = loadavg();
  const file = writePeerResults(rows, {
    args: process.argv.slice(2),
    adapter: gpu.adapterName,
    adapterInfo,
    versions,
    loadErrors,
    timing: TIMING,
    tolerance: `max |peer - talkgrad| <= ${RTOL} * max |talkgrad| + ${ATOL} over every output`,
    loadAverageStart,
    loadAverageEnd,
  }, options.out);
  console.log(`\nload average at end ${loadAverageEnd.map((l) => l.toFixed(2)).join(' ')}; results written to ${file}`);
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(`bench:peers failed: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
