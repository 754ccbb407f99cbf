// Checkpoints of cells in progress, one safetensors file per cell under
// <run>/checkpoints/: the distiller state as tensors, and the cell's progress (search
// point, step, sampler position, curve, finished points) as JSON metadata. Each file
// is written atomically and deleted when its cell finishes.

import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { loadSafetensors, saveSafetensors } from '../io/files-node.js';
import { distillerStateFromSafetensors, distillerStateToSafetensors } from '../td/checkpoint.js';
import type { Distiller } from '../td/distiller.js';
import { cellId, type Cell } from './cells.js';
import { parseNumbers, stringifyNumbers } from './json-numbers.js';
import type { CellCheckpointStore, CellProgress } from './cell-runner.js';

const PROGRESS_KEY = 'talkgrad.cell';

export class CellCheckpointFiles implements CellCheckpointStore {
  constructor(readonly dir: string) {}

  path(cell: Cell): string {
    return join(this.dir, `${cellId(cell)}.safetensors`);
  }

  async load(cell: Cell) {
    const path = this.path(cell);
    let contents;
    try {
      contents = await loadSafetensors(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new Error(`${path}: cannot read the cell checkpoint (${(error as Error).message}); delete it to restart the cell`, { cause: error });
    }
    const raw = contents.metadata[PROGRESS_KEY];
    if (raw === undefined) throw new Error(`${path}: metadata '${PROGRESS_KEY}' is missing; delete the file to restart the cell`);
    const stored = parseNumbers<{ cell: Cell; progress: CellProgress }>(raw);
    if (cellId(stored.cell) !== cellId(cell)) throw new Error(`${path}: contains cell ${cellId(stored.cell)}, expected ${cellId(cell)}; delete the file to restart the cell`);
    return { progress: stored.progress, state: distillerStateFromSafetensors(contents) };
  }

  async save<Input>(cell: Cell, progress: CellProgress, distiller: Distiller<Input>): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const { tensors, metadata } = await distillerStateToSafetensors(distiller);
    await saveSafetensors(this.path(cell), tensors, { ...metadata, [PROGRESS_KEY]: stringifyNumbers({ cell, progress }) });
  }

  async clear(cell: Cell): Promise<void> {
    await rm(this.path(cell), { force: true });
  }
}
