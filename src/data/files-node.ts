// Node file access for the data loaders. Parsers elsewhere in src/data take bytes, so
// they also run in a browser. Only files ending in -node.ts import Node built-ins.

import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Reads a whole file as bytes. */
export async function readFileBytes(path: string): Promise<Uint8Array> {
  const buffer = await readFile(path);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Returns whether `path` exists and is readable. */
export async function isReadable(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns the path of the first of `names` that exists in `dir`, or undefined.
 */
export async function findFirstFile(dir: string, names: readonly string[]): Promise<string | undefined> {
  for (const name of names) {
    const path = join(dir, name);
    if (await isReadable(path)) return path;
  }
  return undefined;
}
