// The run folder of a sweep: the resolved config, one JSON file per finished cell
// under cells/, and the aggregated results. Every file is written atomically.

import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/files-node.js';
import { cellId, type Cell, type CellResult } from './cells.js';
import { parseNumbers, stringifyNumbers } from './json-numbers.js';

export class RunFolder {
  constructor(readonly dir: string) {}

  get cellsDir(): string {
    return join(this.dir, 'cells');
  }

  async create(): Promise<void> {
    await mkdir(this.cellsDir, { recursive: true });
  }

  cellPath(cell: Cell): string {
    return join(this.cellsDir, `${cellId(cell)}.json`);
  }

  async saveCell(result: CellResult): Promise<void> {
    await writeFileAtomic(this.cellPath(result.cell), stringifyNumbers(result, 2) + '\n');
  }

  /** Loads every finished cell in the folder; a file that is not a valid cell result is an error naming it. */
  async loadCells(): Promise<CellResult[]> {
    let names: string[];
    try {
      names = (await readdir(this.cellsDir)).filter((n) => n.endsWith('.json')).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const results: CellResult[] = [];
    for (const name of names) {
      const path = join(this.cellsDir, name);
      let parsed: CellResult;
      try {
        parsed = parseNumbers<CellResult>(await readFile(path, 'utf8'));
      } catch (error) {
        throw new Error(`${path}: not a valid cell result (${(error as Error).message}); delete it to rerun that cell`);
      }
      if (typeof parsed?.cell?.task !== 'string' || typeof parsed.evalMetric !== 'number') {
        throw new Error(`${path}: not a valid cell result (missing cell or evalMetric); delete it to rerun that cell`);
      }
      results.push(parsed);
    }
    return results;
  }

  async finishedIds(): Promise<Set<string>> {
    return new Set((await this.loadCells()).map((r) => cellId(r.cell)));
  }

  async writeText(name: string, text: string): Promise<void> {
    await writeFileAtomic(join(this.dir, name), text);
  }

  async writeBytes(name: string, bytes: Uint8Array): Promise<void> {
    await writeFileAtomic(join(this.dir, name), bytes);
  }

  async readJson<T>(name: string): Promise<T | null> {
    try {
      return JSON.parse(await readFile(join(this.dir, name), 'utf8')) as T;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new Error(`${join(this.dir, name)}: ${(error as Error).message}`);
    }
  }
}
