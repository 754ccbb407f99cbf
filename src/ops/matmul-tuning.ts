// Tiling of the row-broadcast matmul kernel (shaders/matmul.wgsl), chosen per adapter.
//
// With tuning 'auto' (the default), the first matmul on an adapter whose tiling is not
// cached starts a short benchmark of a few tilings in the background
// (matmul-autotune.ts) and keeps using the default tiling until the benchmark ends.
// `await tuneMatmul()` runs it at once. With tuning 'off', matmul uses the default
// tiling below. The choice is cached in memory by adapter description, and in a
// store that the application may install (a JSON file in Node, see
// matmul-tuning-node.ts). Every tiling sums each output in the same order, so the
// choice changes speed only, never a result bit.

import { gpu } from '../gpu/device.js';

export interface MatmulTiling {
  /** Threads per workgroup: one subgroup where the adapter reports its size. */
  lanes: number;
  /** Rows of C per workgroup (and per thread) in matmul.wgsl. */
  rows: number;
  /** vec4 column groups per thread in matmul.wgsl. */
  cols: number;
}

/** A tiling measured on one adapter. */
export interface TunedTiling extends MatmulTiling {
  /** GFLOP/s of this tiling on the tuning shape, and of the default tiling there. */
  gflops: number;
  defaultGflops: number;
  /** ISO time of the measurement. */
  measuredAt: string;
}

export type MatmulTuningMode = 'auto' | 'off';

/** Persistent cache of tuned tilings, keyed by matmulAdapterKey(). */
export interface MatmulTuningStore {
  load(key: string): Promise<TunedTiling | undefined>;
  save(key: string, tiling: TunedTiling): Promise<void>;
}

/**
 * Version of the tuned kernels. Raise it when shaders/matmul.wgsl changes in a way that
 * can change which tiling is fastest, so that cached choices are measured again.
 */
export const MATMUL_TUNING_VERSION = 1;

let mode: MatmulTuningMode = 'auto';
let store: MatmulTuningStore | null = null;
const tuned = new Map<string, TunedTiling>();

/** Sets whether matmul tunes its tiling on first use ('auto') or uses the fixed default ('off'). */
export function setMatmulTuning(value: MatmulTuningMode): void {
  if (value !== 'auto' && value !== 'off') {
    throw new Error(`setMatmulTuning: mode must be 'auto' or 'off', got ${JSON.stringify(value)}`);
  }
  mode = value;
}

export function matmulTuningMode(): MatmulTuningMode {
  return mode;
}

/** Installs (or with null removes) the persistent cache that tuning reads first and writes after measuring. */
export function setMatmulTuningStore(value: MatmulTuningStore | null): void {
  store = value;
}

export function matmulTuningStore(): MatmulTuningStore | null {
  return store;
}

// Computed once per adapter, because matmul looks the key up on every call.
const adapterKeys = new WeakMap<GPUAdapter, string>();

/** Cache key of the current adapter: vendor / architecture / device / description and the kernel version. */
export function matmulAdapterKey(): string {
  const adapter = gpu().adapter;
  let key = adapterKeys.get(adapter);
  if (key === undefined) {
    const info = adapter.info;
    const parts = [info?.vendor, info?.architecture, info?.device, info?.description].map((p) => p ?? '');
    key = `v${MATMUL_TUNING_VERSION} ${parts.join(' / ')}`;
    adapterKeys.set(adapter, key);
  }
  return key;
}

/** Returns the tuned tiling of the current adapter, or undefined before tuning or with tuning off. */
export function tunedMatmulTiling(): TunedTiling | undefined {
  return mode === 'off' ? undefined : tuned.get(matmulAdapterKey());
}

export function rememberTunedTiling(key: string, tiling: TunedTiling): void {
  tuned.set(key, tiling);
}

/** Forgets every tuned tiling held in memory (the persistent store is left alone). */
export function clearMatmulTuning(): void {
  tuned.clear();
}

/**
 * Threads per workgroup by default: one subgroup (subgroupMaxSize: 8 on llvmpipe's
 * 256-bit SIMD, 32 or 64 on most GPUs, 32 when the adapter does not report it), so the
 * rows of A are broadcast within a subgroup.
 */
export function defaultLanes(): number {
  const { adapter, limits } = gpu();
  const subgroup = (adapter.info as { subgroupMaxSize?: number }).subgroupMaxSize ?? 32;
  return Math.min(64, Math.max(4, subgroup), limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
}

/**
 * Base tiling before it is fitted to a shape. The default is 8 rows x 2 vec4 columns
 * per thread (64 accumulators), the fastest of the tilings measured on llvmpipe.
 */
export function baseMatmulTiling(): MatmulTiling {
  const chosen = tunedMatmulTiling();
  if (chosen !== undefined) return { lanes: chosen.lanes, rows: chosen.rows, cols: chosen.cols };
  return { lanes: defaultLanes(), rows: 8, cols: 2 };
}

/**
 * Tiling for an M x N output: the base tiling, shrunk for small M or N so fewer
 * threads compute clamped duplicates.
 */
export function matmulTiling(M: number, N: number, base: MatmulTiling = baseMatmulTiling()): MatmulTiling {
  const rows = Math.min(base.rows, 2 ** Math.ceil(Math.log2(Math.max(M, 1))));
  const cols = Math.max(1, Math.min(base.cols, Math.ceil(N / (4 * base.lanes))));
  return { lanes: base.lanes, rows, cols };
}
