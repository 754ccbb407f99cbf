// Embedding lookups: `embedding` gathers rows of a weight table by int32 ids, and
// `embeddingBag` sums or averages the rows of each bag of a CSR list of ids.
//
// The backward pass to the weight must add up the gradients of repeated ids. It does
// so deterministically and without float atomics: the (id, position) pairs are sorted,
// then one thread per weight element sums its id's segment in position order
// (shaders/embedding-backward.wgsl). Ids made by `tensor()` are sorted on the CPU and
// uploaded. Others are sorted on the GPU by a bitonic network (shaders/embedding-sort.wgsl),
// which costs about log2(n)^2 / 2 dispatches. The backward pass saves the ids (and
// offsets), and the sort runs only when a gradient is needed.

import { record } from '../autograd/engine.js';
import { dispatch, grid, packParams, placeholderBuffer } from '../gpu/runtime.js';
import { knownRange, knownValues } from '../tensor/known-range.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { assertFloat, upload } from './kernels.js';

const NAN_BITS = 0x7fc00000;

function checkIds(op: string, weight: Tensor, ids: Tensor): void {
  assertFloat(op, weight);
  if (weight.rank !== 2) throw new Error(`${op}: weight must be [vocab, dim], got ${formatShape(weight.shape)}`);
  if (ids.dtype !== 'int32') throw new Error(`${op}: ids must be int32, got ${ids.dtype} ${formatShape(ids.shape)}`);
  const range = knownRange(ids);
  const vocab = weight.shape[0];
  if (range !== null && ids.size > 0 && (range.min < 0 || range.max >= vocab)) {
    const bad = range.min < 0 ? range.min : range.max;
    throw new Error(`${op}: id ${bad} is out of range for a weight of ${vocab} rows ${formatShape(weight.shape)}`);
  }
}

/** Returns the pairs (id, position) of `ids` sorted by id then position (on the GPU padded to a power of two). */
function sortedPairs(ids: Tensor): Tensor {
  const values = knownValues(ids);
  if (values !== null) return sortedPairsOnCpu(values);
  const count = ids.size;
  const n = 2 ** Math.ceil(Math.log2(Math.max(count, 2)));
  const pairs = Tensor.empty([n, 2], 'int32', 'embedding backward (sort)');
  const run = (fill: number, k: number, j: number) =>
    dispatch({
      shader: 'embedding-sort',
      buffers: [ids.buffer, pairs.buffer],
      params: packParams([['u32', n], ['u32', count], ['u32', k], ['u32', j], ['u32', fill]]),
      workgroups: grid(n, 256),
    });
  run(1, 0, 0);
  // Bitonic network: log2(n) (log2(n) + 1) / 2 compare-exchange steps.
  for (let k = 2; k <= n; k *= 2) {
    for (let j = k / 2; j >= 1; j /= 2) run(0, k, j);
  }
  return pairs;
}

/** Sorts on the CPU, which costs one upload instead of the bitonic network's dispatches. */
function sortedPairsOnCpu(values: Int32Array): Tensor {
  const count = values.length;
  // Ids were range-checked in the forward pass, so id * count + position is an exact
  // float64 key below 2^53 that orders by id, then position.
  const keys = new Float64Array(count);
  for (let i = 0; i < count; i++) keys[i] = values[i] * count + i;
  keys.sort();
  const pairs = new Int32Array(2 * count);
  for (let i = 0; i < count; i++) {
    const id = Math.floor(keys[i] / count);
    pairs[2 * i] = id;
    pairs[2 * i + 1] = keys[i] - id * count;
  }
  return upload(pairs, [count, 2], 'int32', 'embedding backward (sort)');
}

interface BagInfo {
  offsets: Tensor;
  bags: number;
  mean: boolean;
}

/** d weight for `dy` rows indexed by position (embedding) or by bag (embeddingBag). */
function weightGrad(weight: Tensor, ids: Tensor, dy: Tensor, op: string, bag: BagInfo | null): Tensor {
  const [vocab, dim] = weight.shape;
  const dWeight = Tensor.empty(weight.shape, 'float32', `${op} backward`);
  if (weight.size === 0) return dWeight;
  const pairs = ids.size > 0 ? sortedPairs(ids) : null;
  // Kernel modes: 0 embedding, 1 bag sum, 2 bag mean.
  let mode = 0;
  if (bag !== null) mode = bag.mean ? 2 : 1;
  dispatch({
    shader: 'embedding-backward',
    buffers: [pairs?.buffer ?? placeholderBuffer(), dy.buffer, bag?.offsets.buffer ?? placeholderBuffer(), dWeight.buffer],
    params: packParams([
      ['u32', vocab * dim], ['u32', dim], ['u32', ids.size], ['u32', mode], ['u32', bag?.bags ?? 0], ['u32', ids.size],
    ]),
    workgroups: grid(vocab * dim, 256),
  });
  pairs?.dispose();
  return dWeight;
}

/**
 * Gathers the rows of `weight` [vocab, dim] picked by int32 `ids` of any shape into a
 * tensor of shape [...ids.shape, dim]. An id out of range throws when the values are
 * known on the CPU (tensors made by `tensor()`). Otherwise the kernel writes a NaN row.
 */
export function embedding(weight: Tensor, ids: Tensor): Tensor {
  checkIds('embedding', weight, ids);
  const [vocab, dim] = weight.shape;
  const out = Tensor.empty([...ids.shape, dim], 'float32', 'embedding');
  const n = ids.size * dim;
  if (n > 0) {
    dispatch({
      shader: 'embedding',
      buffers: [weight.buffer, ids.buffer, out.buffer],
      params: packParams([['u32', n], ['u32', dim], ['u32', vocab], ['u32', NAN_BITS]]),
      workgroups: grid(n, 256),
    });
  }
  return record(out, 'embedding', [weight], (dy) => [weightGrad(weight, ids, dy, 'embedding', null)]);
}

export interface EmbeddingBagOptions {
  /** 'sum' adds the rows of a bag; 'mean' (default, as in PyTorch) averages them. An empty bag gives 0. */
  mode?: 'mean' | 'sum';
}

/**
 * Sums or averages rows of `weight` [vocab, dim] per bag and returns [B, dim]. Bag b
 * contains ids[k] for k in [offsets[b], offsets[b + 1]) (CSR form, offsets [B + 1]).
 * Ids are checked as in `embedding`. Offsets must be non-decreasing within [0, nnz].
 * The range is checked when it is known on the CPU, the order never.
 */
export function embeddingBag(weight: Tensor, ids: Tensor, offsets: Tensor, options: EmbeddingBagOptions = {}): Tensor {
  const mode = options.mode ?? 'mean';
  if (mode !== 'mean' && mode !== 'sum') throw new Error(`embeddingBag: mode must be 'mean' or 'sum', got ${JSON.stringify(mode)}`);
  checkIds('embeddingBag', weight, ids);
  if (ids.rank !== 1) throw new Error(`embeddingBag: ids must be 1D [nnz], got ${formatShape(ids.shape)}`);
  if (offsets.dtype !== 'int32' || offsets.rank !== 1 || offsets.size < 1) {
    throw new Error(`embeddingBag: offsets must be int32 [B + 1], got ${offsets.dtype} ${formatShape(offsets.shape)}`);
  }
  const range = knownRange(offsets);
  if (range !== null && (range.min < 0 || range.max > ids.size)) {
    throw new Error(`embeddingBag: offsets range [${range.min}, ${range.max}] exceeds [0, ${ids.size}] for ${ids.size} ids`);
  }

  const [vocab, dim] = weight.shape;
  const bags = offsets.size - 1;
  const out = Tensor.empty([bags, dim], 'float32', 'embeddingBag');
  const n = bags * dim;
  if (n > 0) {
    dispatch({
      shader: 'embedding-bag',
      buffers: [weight.buffer, ids.buffer, offsets.buffer, out.buffer],
      params: packParams([
        ['u32', n], ['u32', dim], ['u32', vocab], ['u32', ids.size], ['u32', mode === 'mean' ? 1 : 0], ['u32', NAN_BITS],
      ]),
      workgroups: grid(n, 256),
    });
  }
  const bag = { offsets, bags, mean: mode === 'mean' };
  return record(out, 'embeddingBag', [weight], (dy) => [weightGrad(weight, ids, dy, 'embeddingBag', bag)]);
}
