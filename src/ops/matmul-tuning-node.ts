// Node store for tuned matmul tilings: one JSON file, by default
// $XDG_CACHE_HOME/talkgrad/matmul-tuning.json (~/.cache/talkgrad/... without
// XDG_CACHE_HOME), mapping adapter keys to tilings. Writes replace the whole file
// atomically, so concurrent processes lose at most each other's newest entry.

import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

import { writeFileAtomic } from '../io/files-node.js';
import { setMatmulTuningStore, type MatmulTuningStore, type TunedTiling } from './matmul-tuning.js';

export function defaultMatmulTuningPath(): string {
  const cacheHome = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cacheHome, 'talkgrad', 'matmul-tuning.json');
}

function isTiling(value: unknown): value is TunedTiling {
  const t = value as Partial<TunedTiling> | null;
  return typeof t === 'object' && t !== null &&
    [t.lanes, t.rows, t.cols].every((n) => Number.isInteger(n) && (n as number) > 0);
}

/** Reads the file's entries. A missing file is empty, and a malformed one is ignored, so tuning measures again. */
async function readEntries(path: string): Promise<Record<string, TunedTiling>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as { entries?: Record<string, unknown> };
    const entries: Record<string, TunedTiling> = {};
    for (const [key, value] of Object.entries(parsed.entries ?? {})) if (isTiling(value)) entries[key] = value;
    return entries;
  } catch {
    return {};
  }
}

/** Creates a store that keeps tuned tilings in the JSON file at `path`. */
export function matmulTuningFileStore(path = defaultMatmulTuningPath()): MatmulTuningStore {
  return {
    async load(key) {
      return (await readEntries(path))[key];
    },
    async save(key, tiling) {
      const entries = await readEntries(path);
      entries[key] = tiling;
      await mkdir(dirname(path), { recursive: true });
      await writeFileAtomic(path, `${JSON.stringify({ entries }, null, 2)}\n`);
    },
  };
}

/** Installs the file store at `path` as the matmul tuning cache and returns it. */
export function useMatmulTuningFile(path = defaultMatmulTuningPath()): MatmulTuningStore {
  const store = matmulTuningFileStore(path);
  setMatmulTuningStore(store);
  return store;
}
