// Combines the run folders of the shards of one sweep into one folder: the cells of
// every shard, the config, the task facts, the CKA files, and results written anew.

import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';

import { cellId, type CellResult } from './cells.js';
import type { ExperimentConfig } from './experiment-config.js';
import type { RunHooks } from './hooks.js';
import { writeResults, type RunInfo } from './outputs-node.js';
import { differingKeys, resultSettings } from './run-config-node.js';
import { RunFolder } from './run-folder-node.js';

async function readRequired<T>(folder: RunFolder, name: string): Promise<T> {
  const value = await folder.readJson<T>(name);
  if (value === null) throw new Error(`merge: ${join(folder.dir, name)} not found; is ${folder.dir} a run folder of talkgrad compare?`);
  return value;
}

/** Merges `dirs` into `outDir` and returns the overview table. Cells found in several folders must be equal up to their run time. */
export async function mergeRuns(dirs: string[], outDir: string, hooks: RunHooks): Promise<{ overview: string; cells: number }> {
  if (dirs.length === 0) throw new Error('merge: give at least one run folder');
  const sources = dirs.map((dir) => new RunFolder(dir));
  const config = await readRequired<ExperimentConfig>(sources[0], 'config.json');
  const info = await readRequired<RunInfo>(sources[0], 'tasks.json');

  const cells = new Map<string, CellResult>();
  const seeds = new Set(config.seeds);
  const methods = new Set([...config.methods, ...config.ablations]);
  for (const source of sources) {
    const other = await readRequired<ExperimentConfig>(source, 'config.json');
    const keys = differingKeys(resultSettings(config), resultSettings(other));
    if (keys.length > 0) throw new Error(`merge: ${source.dir} was run with other settings than ${sources[0].dir} (${keys.join(', ')} differ)`);
    other.seeds.forEach((s) => seeds.add(s));
    [...other.methods, ...other.ablations].forEach((m) => methods.add(m));

    const found = await source.loadCells();
    for (const result of found) {
      const id = cellId(result.cell);
      const previous = cells.get(id);
      if (previous !== undefined && (previous.evalMetric !== result.evalMetric || previous.validationMetric !== result.validationMetric)) {
        hooks.log(`merge: cell ${id} differs between folders (${previous.evalMetric} and ${result.evalMetric}); keeping the first`);
        continue;
      }
      if (previous === undefined) cells.set(id, result);
    }
    hooks.log(`merge: ${found.length} cells from ${source.dir}`);
  }

  const out = new RunFolder(outDir);
  await out.create();
  const merged: ExperimentConfig = {
    ...config,
    seeds: [...seeds].sort((a, b) => a - b),
    methods: [...methods].filter((m) => !m.startsWith('td-')),
    ablations: [...methods].filter((m) => m.startsWith('td-')),
  };
  await out.writeText('config.json', JSON.stringify(merged, null, 2) + '\n');
  await out.writeText('tasks.json', JSON.stringify(info, null, 2) + '\n');
  for (const result of cells.values()) await out.saveCell(result);
  for (const source of sources) await copyFolder(join(source.dir, 'cka'), join(outDir, 'cka'));

  const results = [...cells.values()];
  const { overview } = await writeResults(out, merged, info, results);
  return { overview, cells: results.length };
}

async function copyFolder(from: string, to: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(from);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  await mkdir(to, { recursive: true });
  for (const name of names.filter((n) => !n.startsWith('.'))) await copyFile(join(from, name), join(to, name));
}
