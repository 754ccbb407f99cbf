// Bad inputs across the public API, in one table: each case names the call and the
// error text it must raise. The text must name the op or file and the offending value.
// Device loss, which needs a fresh device afterwards, is the last group.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cifarRecordBytes, parseCifar } from '../../src/data/cifar.js';
import { loadCifar } from '../../src/data/cifar-node.js';
import { parseCsv } from '../../src/data/csv.js';
import { loadFashionMnist } from '../../src/data/fashion-mnist-node.js';
import { gunzip, gzip } from '../../src/data/gzip.js';
import { encodeIdxImages, encodeIdxLabels, makeIdxDataset, parseIdxImages, parseIdxLabels } from '../../src/data/idx.js';
import { parseMl100kMovies, parseMl100kRatings, parseMlLatestRatings } from '../../src/data/movielens.js';
import { loadMovieLens } from '../../src/data/movielens-node.js';
import { loadSafetensors } from '../../src/io/files-node.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import {
  concat,
  crossEntropy,
  decodeTrainingCheckpoint,
  dropout,
  embedding,
  embeddingBag,
  encodeTrainingCheckpoint,
  gpu,
  init,
  klDivergence,
  layerNorm,
  matmul,
  mseLoss,
  nn,
  randn,
  Rng,
  td,
  tensor,
  where,
  zeros,
} from '../../src/index.js';

interface Case {
  name: string;
  run: () => unknown;
  error: string | RegExp;
}

const rng = new Rng(2024);
const f = (shape: number[]) => randn(shape, { rng });
const ids = (values: number[]) => tensor(Int32Array.from(values));
const tmp = mkdtempSync(join(tmpdir(), 'talkgrad-bad-inputs-'));

/** Writes `bytes` to a new file in a new folder under the test's temp dir; returns the folder. */
function folderWith(name: string, bytes: Uint8Array | string): string {
  const dir = mkdtempSync(join(tmp, 'case-'));
  writeFileSync(join(dir, name), bytes);
  return dir;
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Encodes a valid safetensors file with one F32 tensor 'w' of shape [2,3]. */
function goodSafetensors(): Uint8Array {
  return encodeSafetensors({ w: { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) } });
}

/** Replaces the header of a safetensors file with `header` (JSON text) and keeps `dataBytes` bytes of data. */
function withHeader(header: string, dataBytes: number): Uint8Array {
  const head = utf8(header);
  const out = new Uint8Array(8 + head.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  return out;
}

const IMAGES = encodeIdxImages(Uint8Array.from({ length: 3 * 4 * 5 }, (_, i) => i), 3, 4, 5);
const LABELS = encodeIdxLabels([1, 0, 2]);

const CASES: Record<string, Case[]> = {
  shapes: [
    { name: 'add broadcast', run: () => f([1, 3]).add(f([2, 2])), error: 'add: shapes [1,3] and [2,2] cannot be broadcast (dim -1: 3 vs 2)' },
    { name: 'matmul inner dims', run: () => matmul(f([3, 4]), f([5, 6])), error: 'matmul: shapes [3,4] and [5,6] do not match (4 != 5)' },
    { name: 'reshape size', run: () => f([3, 4]).reshape([5, 2]), error: 'reshape: cannot reshape [3,4] (12 elements) to [5,2]' },
    { name: 'concat other dims', run: () => concat([f([2, 3]), f([2, 4])], 0), error: 'concat: shapes [2,3] float32, [2,4] float32 differ outside dim 0' },
    { name: 'where broadcast', run: () => where(f([2]), f([2]), f([3])), error: 'where: shapes [2] and [2] and [3] cannot be broadcast (dim -1: 2 vs 3)' },
    { name: 'softmax dim', run: () => f([2, 3]).softmax(2), error: 'softmax: dim 2 is out of range for a tensor of rank 2' },
    { name: 'sum dim', run: () => f([2, 3]).sum(-3), error: /^sum: dim -3 is out of range for a tensor of rank 2/ },
    { name: 'layerNorm weight', run: () => layerNorm(f([2, 3]), f([4]), null), error: 'layerNorm: weight must be [3] for input [2,3], got [4]' },
    { name: 'mseLoss pair', run: () => mseLoss(f([2, 3]), f([3, 2])), error: 'mseLoss: input [2,3] and target [3,2] differ in shape; reshape or expand one of them' },
    { name: 'klDivergence pair', run: () => klDivergence(f([2, 3]), f([2, 4])), error: 'klDivergence: student [2,3] and teacher [2,4] logits must have the same shape of rank >= 1' },
    { name: 'crossEntropy rank', run: () => crossEntropy(f([2, 3, 4]), ids([0, 1])), error: 'crossEntropy: logits must be [N, C], got [2,3,4]; reshape to [-1, C] first' },
    { name: 'item of many', run: () => f([2, 3]).item(), error: 'item: tensor has 6 elements [2,3]; item() needs exactly 1' },
    {
      name: 'backward of non-scalar',
      run: () => f([2, 3]).requiresGrad_().mul(2).backward(),
      error: 'backward: grad can be implied only for a one-element output, got shape [2,3]; pass a gradient of the same shape',
    },
  ],
  dtypes: [
    { name: 'int32 into exp', run: () => ids([1, 2]).exp(), error: 'exp: expected a float32 tensor, got int32 [2]' },
    { name: 'int32 into add', run: () => ids([1, 2]).add(f([2])), error: 'add: expected a float32 tensor, got int32 [2]' },
    { name: 'int32 into matmul', run: () => matmul(f([2, 2]), ids([1, 2, 3, 4]).reshape([2, 2])), error: 'matmul: expected a float32 tensor, got int32 [2,2]' },
    { name: 'array into layerNorm', run: () => layerNorm(f([2, 3]), [1, 2, 3] as never, null), error: 'layerNorm: expected a float32 tensor, got an array of length 3; wrap values with tensor()' },
    { name: 'float ids into embedding', run: () => embedding(f([4, 3]), tensor([1, 2])), error: 'embedding: ids must be int32, got float32 [2]' },
    {
      name: 'float targets into crossEntropy',
      run: () => crossEntropy(f([2, 3]), tensor([1, 2])),
      error: 'crossEntropy: targets must be int32 [2] for logits [2,3], got float32 [2]',
    },
    { name: 'grad on int32', run: () => ids([1]).requiresGrad_(), error: 'requiresGrad_: an int32 tensor cannot require grad' },
    { name: 'fraction as int32', run: () => tensor([1, 2.5], { dtype: 'int32' }), error: 'tensor: value 2.5 at flat index 1 is not an int32' },
  ],
  values: [
    { name: 'NaN in tensor()', run: () => tensor([1, NaN]), error: 'tensor: value NaN at flat index 1 is not finite; pass { allowNonFinite: true } if this is intended' },
    { name: 'Inf in tensor()', run: () => tensor([[1, 2], [-Infinity, 3]]), error: 'tensor: value -Infinity at flat index 2 is not finite' },
    { name: 'ragged arrays', run: () => tensor([[1, 2], [3]] as never), error: 'tensor: nested arrays are ragged (item 0 has shape [2], item 1 has [1])' },
    { name: 'shape and values', run: () => tensor([1, 2, 3], { shape: [2, 2] }), error: 'tensor: shape [2,2] needs 4 values, got 3' },
    { name: 'embedding id too big', run: () => embedding(f([4, 3]), ids([1, 4])), error: 'embedding: id 4 is out of range for a weight of 4 rows [4,3]' },
    { name: 'embedding id negative', run: () => embedding(f([4, 3]), ids([-1, 2])), error: 'embedding: id -1 is out of range for a weight of 4 rows [4,3]' },
    {
      name: 'embeddingBag offsets',
      run: () => embeddingBag(f([4, 3]), ids([0, 1, 2]), ids([0, 2, 5])),
      error: 'embeddingBag: offsets range [0, 5] exceeds [0, 3] for 3 ids',
    },
    { name: 'class target too big', run: () => crossEntropy(f([2, 3]), ids([1, 3])), error: 'crossEntropy: target 3 is out of range for 3 classes (ignoreIndex -100)' },
    { name: 'dropout p', run: () => dropout(f([2]), 1), error: 'dropout: p must be in [0, 1), got 1' },
    { name: 'klDivergence temperature', run: () => klDivergence(f([2, 3]), f([2, 3]), { temperature: 0 }), error: 'klDivergence: temperature must be a finite number > 0, got 0' },
  ],
  limits: [
    {
      name: 'tensor over binding limit',
      run: () => zeros([gpu().limits.maxStorageBufferBindingSize / 4 + 1]),
      error: /^full \[\d+\]: a buffer of \d+ bytes exceeds this adapter's limit of \d+ bytes \(maxBufferSize \d+, maxStorageBufferBindingSize \d+\); use a smaller batch or smaller tensors\.$/,
    },
    {
      name: 'matmul output over limit',
      run: () => {
        const side = Math.ceil(Math.sqrt(gpu().limits.maxStorageBufferBindingSize / 4)) + 1;
        return matmul(f([side, 1]), f([1, side]));
      },
      error: /^matmul \[\d+,\d+\]: a buffer of \d+ bytes exceeds this adapter's limit .*; use a smaller batch or smaller tensors\.$/,
    },
  ],
  lifetime: [
    {
      name: 'read after dispose',
      run: async () => {
        const x = f([2, 3]).exp();
        x.dispose();
        return x.data();
      },
      error: 'tensor [2,3] (from exp) was disposed and can no longer be used',
    },
    {
      name: 'op on disposed input',
      run: () => {
        const x = f([5]);
        x.dispose();
        return x.add(1);
      },
      error: 'tensor [5] (from randn) was disposed and can no longer be used',
    },
  ],
  config: [
    { name: 'unknown key', run: () => td.resolveDistillConfig({ roundz: 2 } as never), error: /^distill config: unknown key 'roundz' \(known keys: method, rounds, / },
    { name: 'wrong type', run: () => td.resolveDistillConfig({ rounds: '2' } as never), error: 'distill config: rounds = "2" is invalid: it must be an integer >= 0' },
    { name: 'out of range', run: () => td.resolveDistillConfig({ dropout: 1.2 }), error: 'distill config: dropout = 1.2 is invalid: it must be in [0, 1)' },
    { name: 'unknown method', run: () => td.resolveDistillConfig({ method: 'kd' } as never), error: 'distill config: method = "kd" is invalid: it must be one of scratch, ld, fd, fitnet, hybrid, td' },
    { name: 'zero temperature', run: () => td.resolveDistillConfig({ temperature: 0 }), error: 'distill config: temperature = 0 is invalid: it must be a finite number > 0' },
    { name: 'fractional seed', run: () => td.resolveDistillConfig({ seed: 1.5 }), error: 'distill config: seed = 1.5 is invalid: it must be an integer' },
    {
      name: 'nested reduction value',
      run: () => td.resolveDistillConfig({ reductions: { interact: 'avg' } } as never),
      error: /^distill config: reductions = \{"interact":"avg"\} is invalid: .*interact.* must be one of mean, batchMean, sum$/,
    },
    {
      name: 'nested reduction key',
      run: () => td.resolveDistillConfig({ reductions: { foo: 'mean' } } as never),
      error: /^distill config: reductions = \{"foo":"mean"\} is invalid: it has unknown loss 'foo'/,
    },
    { name: 'flattenTokens alone', run: () => td.resolveDistillConfig({ stateJoin: 'flattenTokens' }), error: "distill config: stateJoin 'flattenTokens' needs tokenCount (tokens per example)" },
  ],
  'data files': [
    {
      name: 'IDX truncated',
      run: () => parseIdxImages(IMAGES.subarray(0, IMAGES.length - 7), 'images.idx'),
      error: 'parseIdxImages: images.idx: truncated file: header promises 60 data bytes but only 53 follow; download the file again',
    },
    {
      name: 'IDX bad magic',
      run: () => parseIdxLabels(IMAGES, 'labels.idx'),
      error: 'parseIdxLabels: labels.idx: bad magic number 0x00000803 (expected 0x00000801 for labels); check that the file is an uncompressed IDX labels file',
    },
    {
      name: 'IDX extra bytes',
      run: () => parseIdxLabels(Uint8Array.from([...LABELS, 9, 9]), 'labels.idx'),
      error: 'parseIdxLabels: labels.idx: 2 extra bytes after the 3 data bytes the header promises; the header or the file is corrupt',
    },
    {
      name: 'IDX label out of range',
      run: () =>
        makeIdxDataset(parseIdxImages(IMAGES, 'images.idx'), parseIdxLabels(encodeIdxLabels([1, 12, 2]), 'labels.idx'), {
          imagesName: 'images.idx',
          labelsName: 'labels.idx',
          numClasses: 10,
        }),
      error: 'makeIdxDataset: labels.idx: label 12 at item 1 is outside [0, 10)',
    },
    {
      name: 'IDX count mismatch',
      run: () =>
        makeIdxDataset(parseIdxImages(IMAGES, 'images.idx'), parseIdxLabels(encodeIdxLabels([1, 2]), 'labels.idx'), {
          imagesName: 'images.idx',
          labelsName: 'labels.idx',
          numClasses: 10,
        }),
      error: 'makeIdxDataset: images.idx has 3 images but labels.idx has 2 labels; use the images and labels files of the same split',
    },
    {
      name: 'gzip corrupt',
      run: async () => {
        const packed = await gzip(LABELS);
        return gunzip(packed.subarray(0, packed.length - 6), 'labels.idx.gz');
      },
      error: /^gunzip: labels\.idx\.gz: invalid or truncated gzip data \(.*\); download the file again$/,
    },
    {
      name: 'Fashion-MNIST file truncated',
      run: () => {
        const dir = folderWith('t10k-images-idx3-ubyte', IMAGES.subarray(0, 20));
        writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), LABELS);
        return loadFashionMnist({ split: 'test', dataPath: dir });
      },
      error: /^parseIdxImages: \/.*\/t10k-images-idx3-ubyte: truncated file: header promises 60 data bytes but only 4 follow/,
    },
    {
      name: 'CIFAR length',
      run: () => parseCifar(new Uint8Array(cifarRecordBytes('cifar10') + 5), 'test_batch.bin', { variant: 'cifar10' }),
      error: 'parseCifar: test_batch.bin: length 3078 is not a positive multiple of the 3073-byte cifar10 record; the file is truncated or of the other variant',
    },
    {
      name: 'CIFAR label',
      run: () => {
        const bytes = new Uint8Array(2 * cifarRecordBytes('cifar10'));
        bytes[cifarRecordBytes('cifar10')] = 11;
        return parseCifar(bytes, 'test_batch.bin', { variant: 'cifar10' });
      },
      error: 'parseCifar: test_batch.bin: record 1 has label 11, outside [0, 10); the file is corrupt or of the other variant',
    },
    {
      name: 'CIFAR file on disk',
      run: () => loadCifar({ dir: folderWith('test_batch.bin', new Uint8Array(100)), variant: 'cifar10', split: 'test' }),
      error: /^parseCifar: \/.*\/test_batch\.bin: length 100 is not a positive multiple of the 3073-byte cifar10 record/,
    },
    {
      name: 'MovieLens fields',
      run: () => parseMl100kRatings('1\t2\t3\t881250949\n1\t2\t3\n', 'u.data'),
      error: 'parseMl100kRatings: u.data:2: expected 4 tab-separated fields, found 3',
    },
    {
      name: 'MovieLens rating',
      run: () => parseMlLatestRatings('userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n1,1029,7,1260759179\n', 'ratings.csv'),
      error: "parseMlLatestRatings: ratings.csv:3: rating '7' is not a number in [0.5, 5]",
    },
    {
      name: 'MovieLens header',
      run: () => parseMlLatestRatings('user,movie,rating,time\n1,31,2.5,1260759144\n', 'ratings.csv'),
      error: /^parseMlLatestRatings: ratings\.csv:1: expected the header 'userId,movieId,rating,timestamp', found/,
    },
    {
      name: 'MovieLens genre flag',
      run: () => parseMl100kMovies(utf8(`1|Toy Story (1995)|01-Jan-1995||http://x|${'0|'.repeat(18)}2\n`), 'u.item'),
      error: /^parseMl100kMovies: u\.item:1: genre flag .* is '2', expected 0 or 1$/,
    },
    {
      name: 'MovieLens folder',
      run: () => {
        const dir = folderWith('u.data', '1\t2\t3\t881250949\n1\t2\n');
        writeFileSync(join(dir, 'u.item'), '');
        return loadMovieLens(dir);
      },
      error: /^parseMl100kRatings: \/.*\/u\.data:2: expected 4 tab-separated fields, found 2$/,
    },
    { name: 'CSV open quote', run: () => parseCsv('a,b\n"x,1\n', 'movies.csv'), error: 'parseCsv: movies.csv:2: quoted field is not closed' },
  ],
  checkpoints: [
    {
      name: 'safetensors too short',
      run: () => decodeSafetensors(new Uint8Array(5), 'model.safetensors'),
      error: 'decodeSafetensors: model.safetensors: file has 5 bytes, shorter than the 8-byte header length; it is truncated',
    },
    {
      name: 'safetensors truncated',
      run: () => {
        const bytes = goodSafetensors();
        return decodeSafetensors(bytes.subarray(0, bytes.length - 4), 'model.safetensors');
      },
      error: "decodeSafetensors: model.safetensors: tensor 'w' data_offsets [0, 24] are out of range for 20 data bytes",
    },
    {
      name: 'safetensors header length',
      run: () => {
        const bytes = goodSafetensors().slice();
        new DataView(bytes.buffer).setBigUint64(0, 10_000n, true);
        return decodeSafetensors(bytes, 'model.safetensors');
      },
      error: /^decodeSafetensors: model\.safetensors: header length 10000 exceeds the \d+ bytes after the length field; the file is truncated or not safetensors$/,
    },
    {
      name: 'safetensors bad JSON',
      run: () => decodeSafetensors(withHeader('{"w": ', 0), 'model.safetensors'),
      error: /^decodeSafetensors: model\.safetensors: header is not valid JSON \(/,
    },
    {
      name: 'safetensors dtype',
      run: () => decodeSafetensors(withHeader('{"w":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}', 8), 'model.safetensors'),
      error: /^decodeSafetensors: model\.safetensors: tensor 'w' has unknown dtype "Q4"; known: /,
    },
    {
      name: 'safetensors size',
      run: () => decodeSafetensors(withHeader('{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', 8), 'model.safetensors'),
      error: "decodeSafetensors: model.safetensors: tensor 'w' has 8 bytes but shape [3] of F32 needs 12",
    },
    {
      name: 'safetensors stray bytes',
      run: () => decodeSafetensors(withHeader('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 12), 'model.safetensors'),
      error: 'decodeSafetensors: model.safetensors: 8 data bytes after the last tensor belong to no tensor',
    },
    {
      name: 'safetensors file on disk',
      run: () => loadSafetensors(join(folderWith('ckpt.safetensors', new Uint8Array(3)), 'ckpt.safetensors')),
      error: /^decodeSafetensors: \/.*\/ckpt\.safetensors: file has 3 bytes, shorter than the 8-byte header length; it is truncated$/,
    },
    {
      name: 'checkpoint of other model',
      run: async () => {
        const bytes = await encodeTrainingCheckpoint({ model: new nn.Linear(3, 4, { rng }) });
        return decodeTrainingCheckpoint(bytes, 'run.safetensors', { model: new nn.Linear(3, 5, { rng }) });
      },
      error: "loadStateDict: Linear: 'weight' has shape [3,4] but the module expects [3,5]",
    },
    {
      name: 'checkpoint stray key',
      run: () => {
        const bytes = encodeSafetensors({ extra: { dtype: 'F32', shape: [1], data: Float32Array.of(1) } });
        return decodeTrainingCheckpoint(bytes, 'run.safetensors', { model: new nn.Linear(3, 4, { rng }) });
      },
      error: "decodeTrainingCheckpoint: run.safetensors: key 'extra' starts with neither 'model.' nor 'optimizer.'",
    },
  ],
};

for (const [group, cases] of Object.entries(CASES)) {
  describe(`bad inputs: ${group}`, () => {
    for (const c of cases) {
      it(c.name, async () => {
        await expect(Promise.resolve().then(c.run)).rejects.toThrow(c.error);
      });
    }
  });
}

// Ids and targets computed on the GPU have no CPU range to check. The kernels then
// return NaN for the offending row instead of reading out of bounds.
describe('bad inputs: GPU-side ids', () => {
  it('embedding id gives NaN row', async () => {
    const weight = f([4, 3]);
    // A partial slice copies on the GPU, so the known CPU range of the ids is lost.
    const gpuIds = ids([2, 9, 0, 1]).slice(0, 0, 3);
    const out = await embedding(weight, gpuIds).data();
    const rows = await weight.data();
    expect(Array.from(out.subarray(0, 3))).toEqual(Array.from(rows.subarray(6, 9)));
    expect(Array.from(out.subarray(3, 6)).every(Number.isNaN), 'row of id 9').toBe(true);
    expect(Array.from(out.subarray(6, 9))).toEqual(Array.from(rows.subarray(0, 3)));
  });

  it('class target gives NaN loss', async () => {
    const targets = ids([1, 5, 0, 2]).slice(0, 0, 3);
    const losses = await crossEntropy(f([3, 4]), targets, { reduction: 'none' }).data();
    expect(Number.isFinite(losses[0])).toBe(true);
    expect(Number.isNaN(losses[1]), 'row with target 5 of 4 classes').toBe(true);
    expect(Number.isFinite(losses[2])).toBe(true);
  });
});

describe('bad inputs: lost device', () => {
  afterAll(async () => {
    await init();
  });

  it('use after loss', async () => {
    const x = f([2, 2]);
    const device = gpu().device;
    // Destroying a busy device crashed Dawn on lavapipe, so the queue drains first.
    await device.queue.onSubmittedWorkDone();
    device.destroy();
    await device.lost;
    await expect(x.data()).rejects.toThrow(
      /^tensor \[2,2\] \(from randn\) is unusable because its GPU device was lost \(destroyed: .*\); call init\(\) to get a new device, then create the tensor again/,
    );
    expect(() => f([3])).toThrow(/^GPU device was lost: destroyed: .*\. Call init\(\) again to get a new device\.$/);
  });
});
