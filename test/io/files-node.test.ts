import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { loadSafetensors, saveSafetensors, writeFileAtomic } from '../../src/io/files-node.js';
import { Rng } from '../../src/util/rng.js';

// Lets a test make the next rename fail, as a crash or a full disk would, while every
// other file operation runs for real.
const faults = vi.hoisted(() => ({ failRename: false }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...actual,
    rename: async (from: string, to: string) => {
      if (faults.failRename) throw Object.assign(new Error('simulated crash before rename'), { code: 'EIO' });
      return actual.rename(from, to);
    },
  };
});

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'talkgrad-files-'));
});

afterEach(() => {
  faults.failRename = false;
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function randomBytes(seed: number, length: number): Uint8Array {
  const rng = new Rng(seed);
  return Uint8Array.from({ length }, () => rng.int(256));
}

describe('writeFileAtomic', () => {
  it('creates a new file', async () => {
    const path = join(root, 'new.bin');
    const bytes = randomBytes(1, 1001);
    await writeFileAtomic(path, bytes);
    expect(new Uint8Array(await readFile(path))).toEqual(bytes);
  });

  it('replaces and writes strings', async () => {
    const path = join(root, 'results.json');
    await writeFile(path, 'old');
    await writeFileAtomic(path, '{"loss": 0.25, "name": "é"}');
    expect(await readFile(path, 'utf8')).toBe('{"loss": 0.25, "name": "é"}');
  });

  it('failed rename keeps old file', async () => {
    const path = join(root, 'checkpoint.safetensors');
    const old = randomBytes(2, 333);
    await writeFile(path, old);

    faults.failRename = true;
    await expect(writeFileAtomic(path, randomBytes(3, 5000))).rejects.toThrow(
      /writeFileAtomic: .*checkpoint\.safetensors: write failed, previous contents left unchanged \(simulated crash before rename\)/,
    );
    expect(new Uint8Array(await readFile(path))).toEqual(old);
  });

  it('failed rename removes temp file', async () => {
    const dir = await mkdtemp(join(root, 'clean-'));
    faults.failRename = true;
    await expect(writeFileAtomic(join(dir, 'x.bin'), randomBytes(4, 10))).rejects.toThrow(/write failed/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('missing folder rejected', async () => {
    await expect(writeFileAtomic(join(root, 'no-such-dir', 'x.bin'), 'x')).rejects.toThrow(/no-such-dir.*write failed.*ENOENT/);
  });

  it('readers never see a partial file', async () => {
    const path = join(root, 'concurrent.bin');
    const versions = [randomBytes(5, 3 << 20), randomBytes(6, 3 << 20)];
    await writeFileAtomic(path, versions[0]);

    let writing = true;
    const writer = (async () => {
      for (let round = 1; round <= 6; round++) await writeFileAtomic(path, versions[round % 2]);
      writing = false;
    })();

    let reads = 0;
    let partial = 0;
    while (writing) {
      const seen = new Uint8Array(await readFile(path));
      reads++;
      const whole = versions.some((v) => v.length === seen.length && Buffer.compare(Buffer.from(v), Buffer.from(seen)) === 0);
      if (!whole) partial++;
    }
    await writer;
    expect(reads).toBeGreaterThan(0);
    expect(partial).toBe(0);
  });

  it('no temp files left after success', async () => {
    const dir = await mkdtemp(join(root, 'tidy-'));
    await writeFileAtomic(join(dir, 'a.json'), '{}');
    await writeFileAtomic(join(dir, 'a.json'), '[]');
    expect(await readdir(dir)).toEqual(['a.json']);
  });
});

describe('safetensors files', () => {
  it('save and load round trip', async () => {
    const path = join(root, 'model.safetensors');
    const weight = Float32Array.from(randomBytes(7, 12), (b) => b / 7 - 11);
    await saveSafetensors(path, { weight: { dtype: 'F32', shape: [3, 4], data: weight } }, { epoch: '2' });
    const loaded = await loadSafetensors(path);
    expect(loaded.tensors.weight.data).toEqual(weight);
    expect(loaded.metadata).toEqual({ epoch: '2' });
  });

  it('load names the path', async () => {
    const path = join(root, 'broken.safetensors');
    await writeFile(path, new Uint8Array([1, 2, 3]));
    await expect(loadSafetensors(path)).rejects.toThrow(`decodeSafetensors: ${path}: file has 3 bytes`);
  });
});
