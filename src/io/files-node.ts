// Node file helpers for checkpoints and results: atomic writes and safetensors files.

import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import { decodeSafetensors, encodeSafetensors, type SafetensorsContents, type SafetensorsTensor } from './safetensors.js';

/**
 * Replaces the file at `path` with `data` so that readers see either the old file or
 * the whole new one, even after a crash. The data goes to a temporary file in the same
 * folder, which is flushed to disk and renamed over the target. Then the folder is
 * flushed so that the rename itself is durable. Strings are written as UTF-8.
 *
 * A crash between creating and renaming the temporary file can leave it behind, under
 * the name `.<target name>.<pid>.<random>.tmp`.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const dir = dirname(path);
  const tempPath = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);

  try {
    const handle = await open(tempPath, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tempPath, path);
  } catch (error) {
    await unlink(tempPath).catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`writeFileAtomic: ${path}: write failed, previous contents left unchanged (${reason})`, { cause: error });
  }

  await syncFolder(dir);
}

/** Writes tensors and metadata to a safetensors file with writeFileAtomic. */
export async function saveSafetensors(
  path: string,
  tensors: Record<string, SafetensorsTensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/** Reads and validates a safetensors file. */
export async function loadSafetensors(path: string): Promise<SafetensorsContents> {
  const buffer = await readFile(path);
  return decodeSafetensors(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength), path);
}

async function syncFolder(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    // NOTE: Windows rejects opening or flushing a folder (EISDIR or EPERM), so the flush is
    // skipped there. This branch has not been run on Windows.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw error;
  } finally {
    await handle?.close();
  }
}
