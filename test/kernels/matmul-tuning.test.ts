// Matmul tiling autotune: every candidate tiling gives bitwise equal results, tuning
// reads and writes its store, 'off' keeps the fixed default, and the Node file store
// round-trips and survives a malformed file.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { matmul, setMatmulTuning, setMatmulTuningStore, tuneMatmul, type MatmulTuningStore, type TunedTiling } from '../../src/index.js';
import { tuningCandidates } from '../../src/ops/matmul-autotune.js';
import { baseMatmulTiling, clearMatmulTuning, matmulAdapterKey, matmulTiling, rememberTunedTiling } from '../../src/ops/matmul-tuning.js';
import { defaultMatmulTuningPath, matmulTuningFileStore } from '../../src/ops/matmul-tuning-node.js';
import { Rng } from '../../src/util/rng.js';
import { gpuTensor, randomValues } from '../helpers/check.js';

const DEFAULT = { lanes: baseMatmulTiling().lanes, rows: 8, cols: 2 };
// Every row x column block with one subgroup of threads, and the smallest block with
// two: each tiling compiles twice (strided and vec4 B), which takes up to seconds on llvmpipe.
const SAMPLED_TILINGS = tuningCandidates().filter((t) => t.lanes === DEFAULT.lanes || (t.rows === 4 && t.cols === 1));

function tuned(tiling: { lanes: number; rows: number; cols: number }): TunedTiling {
  return { ...tiling, gflops: 1, defaultGflops: 1, measuredAt: '2026-01-01T00:00:00.000Z' };
}

/** Creates a store in memory that counts its loads and saves. */
function memoryStore(initial: Record<string, TunedTiling> = {}): MatmulTuningStore & { saves: number; loads: number; entries: Record<string, TunedTiling> } {
  const entries = { ...initial };
  return {
    entries,
    saves: 0,
    loads: 0,
    async load(key) {
      this.loads++;
      return entries[key];
    },
    async save(key, tiling) {
      this.saves++;
      entries[key] = tiling;
    },
  };
}

afterEach(() => {
  clearMatmulTuning();
  setMatmulTuningStore(null);
  setMatmulTuning('off');
});

describe('matmul tuning', () => {
  it('matmul tilings bitwise equal', async () => {
    const rng = new Rng(91);
    // N = 45 reads B through strides, N = 64 as vec4, N <= 4 takes the matrix-vector
    // kernel; K = 29 and M = 37 fit no tile.
    for (const [M, K, N] of [[37, 29, 45], [37, 29, 64], [1, 13, 9], [37, 29, 3], [37, 32, 1]]) {
      const a = gpuTensor(randomValues([M, K], rng, -1, 1), [M, K]);
      const b = gpuTensor(randomValues([K, N], rng, -1, 1), [K, N]);
      setMatmulTuning('off');
      const reference = await matmul(a, b).data();
      setMatmulTuning('auto');
      for (const tiling of SAMPLED_TILINGS) {
        clearMatmulTuning();
        rememberTunedTiling(matmulAdapterKey(), tuned(tiling));
        const out = await matmul(a, b).data();
        expect(Array.from(out), `${M}x${K}x${N} ${JSON.stringify(tiling)}`).toEqual(Array.from(reference));
      }
    }
  });

  it('matmul tuning off uses default', () => {
    setMatmulTuning('auto');
    rememberTunedTiling(matmulAdapterKey(), tuned({ lanes: DEFAULT.lanes, rows: 4, cols: 1 }));
    expect(matmulTiling(64, 512).rows).toBe(4);
    setMatmulTuning('off');
    expect(matmulTiling(64, 512)).toEqual(DEFAULT);
  });

  it('matmul tiling fits small shapes', () => {
    setMatmulTuning('off');
    expect(matmulTiling(3, 512).rows).toBe(4);
    expect(matmulTiling(1, 512).rows).toBe(1);
    expect(matmulTiling(64, 5).cols).toBe(1);
  });

  it('tuneMatmul reads the store first', async () => {
    const stored = tuned({ lanes: DEFAULT.lanes, rows: 4, cols: 2 });
    const store = memoryStore({ [matmulAdapterKey()]: stored });
    setMatmulTuningStore(store);
    const result = await tuneMatmul();
    expect(result).toEqual(stored);
    expect(store.saves).toBe(0);
    setMatmulTuning('auto');
    expect(matmulTiling(64, 512)).toEqual({ lanes: DEFAULT.lanes, rows: 4, cols: 2 });
  });

  it('tuneMatmul measures and saves', async () => {
    const store = memoryStore();
    setMatmulTuningStore(store);
    // A zero budget measures only the default tiling, which is then the choice.
    const result = await tuneMatmul({ budgetMs: 0 });
    expect({ lanes: result.lanes, rows: result.rows, cols: result.cols }).toEqual(DEFAULT);
    expect(result.gflops).toBeGreaterThan(0);
    expect(result.gflops).toBe(result.defaultGflops);
    expect(store.saves).toBe(1);
    expect(store.entries[matmulAdapterKey()]).toEqual(result);
  });

  it('tuneMatmul ignores oversized stored lanes', async () => {
    const store = memoryStore({ [matmulAdapterKey()]: tuned({ lanes: 1 << 20, rows: 4, cols: 2 }) });
    setMatmulTuningStore(store);
    const result = await tuneMatmul({ budgetMs: 0 });
    expect(result.lanes).toBe(DEFAULT.lanes);
    expect(store.saves).toBe(1);
  });

  it('setMatmulTuning rejects unknown mode', () => {
    expect(() => setMatmulTuning('fast' as 'auto')).toThrow("setMatmulTuning: mode must be 'auto' or 'off', got \"fast\"");
  });
});

describe('matmul tuning file', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('tuning file round trip', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'talkgrad-tuning-'));
    dirs.push(dir);
    const path = join(dir, 'nested', 'matmul-tuning.json');
    const store = matmulTuningFileStore(path);
    expect(await store.load('adapter A')).toBeUndefined();
    const first = tuned({ lanes: 8, rows: 4, cols: 2 });
    const second = tuned({ lanes: 32, rows: 8, cols: 1 });
    await store.save('adapter A', first);
    await store.save('adapter B', second);
    expect(await store.load('adapter A')).toEqual(first);
    expect(await store.load('adapter B')).toEqual(second);
    expect(JSON.parse(await readFile(path, 'utf8')).entries['adapter B']).toEqual(second);
  });

  it('tuning file malformed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'talkgrad-tuning-'));
    dirs.push(dir);
    const path = join(dir, 'matmul-tuning.json');
    await writeFile(path, '{"entries": {"adapter A": {"lanes": 0, "rows": 4, "cols": 2}}');
    expect(await matmulTuningFileStore(path).load('adapter A')).toBeUndefined();
    await writeFile(path, '{"entries": {"adapter A": {"lanes": -8, "rows": 4, "cols": 2}}}');
    expect(await matmulTuningFileStore(path).load('adapter A')).toBeUndefined();
  });

  it('tuning file default path', () => {
    const saved = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = '/tmp/cache-home';
    try {
      expect(defaultMatmulTuningPath()).toBe('/tmp/cache-home/talkgrad/matmul-tuning.json');
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved;
    }
  });
});

describe('tuneMatmul options', () => {
  it('rejects bad budgets', async () => {
    for (const budgetMs of [-5, Number.NaN, Number.POSITIVE_INFINITY, 'x' as unknown as number]) {
      await expect(tuneMatmul({ budgetMs }), String(budgetMs)).rejects.toThrow(/tuneMatmul: budgetMs must be a finite number of milliseconds >= 0/);
    }
  });
});
