import { describe, expect, it } from 'vitest';
import { CommunicationDecoder, CommunicationEncoder } from '../../src/models/communication.js';
import { randn } from '../../src/ops/create.js';
import { Rng } from '../../src/util/rng.js';
import { randomValues } from '../helpers/check.js';
import { moduleGradCheck, type ParamValues } from '../nn/module-check.js';
import { referenceLayerNorm, referenceLinear, referenceRelu } from '../nn/reference.js';

// LayerNorm then two dense layers of width <= 11 on values of size ~1: f32 rounding stays near 1e-6.
const TOL = { rtol: 1e-3, atol: 1e-4 };

function referenceBlock(x: Float64Array, p: ParamValues, prefix: string, dims: [number, number, number]): Float64Array {
  const [inDim, hidden, out] = dims;
  const normed = referenceLayerNorm(x, p[`${prefix}norm.weight`], p[`${prefix}norm.bias`], inDim, 1e-5);
  const h = referenceRelu(referenceLinear(normed, p[`${prefix}dense1.weight`], p[`${prefix}dense1.bias`], inDim, hidden));
  return referenceLinear(h, p[`${prefix}dense2.weight`], p[`${prefix}dense2.bias`], hidden, out);
}

/** Joins rows of a [rows, da] and b [rows, db] on the last dim. */
function joinRows(a: Float64Array, b: Float64Array, da: number, db: number): Float64Array {
  const rows = a.length / da;
  const out = new Float64Array(rows * (da + db));
  for (let r = 0; r < rows; r++) {
    out.set(a.subarray(r * da, (r + 1) * da), r * (da + db));
    out.set(b.subarray(r * db, (r + 1) * db), r * (da + db) + da);
  }
  return out;
}

describe('CommunicationEncoder', () => {
  it('encodes s and e of [B, D]', async () => {
    const rng = new Rng(1);
    const encoder = new CommunicationEncoder(5 + 3, 11, 4, { rng, dropout: 0.25 }).eval();
    expect(encoder.namedParameters().map(([n]) => n)).toEqual([
      'block.norm.weight', 'block.norm.bias', 'block.dense1.weight', 'block.dense1.bias', 'block.dense2.weight', 'block.dense2.bias',
    ]);
    encoder.loadStateDict({ 'block.norm.weight': randn([8], { rng }), 'block.norm.bias': randn([8], { rng }) }, { strict: false });
    await moduleGradCheck(
      'encoder [3,5]+[3,3]',
      encoder,
      ([s, e]) => encoder.encode(s, e),
      ([s, e], p) => referenceBlock(joinRows(s, e, 5, 3), p, 'block.', [8, 11, 4]),
      [{ shape: [3, 5], values: randomValues([3, 5], rng) }, { shape: [3, 3], values: randomValues([3, 3], rng) }],
      TOL,
    );
  });

  it('encodes tokens [B, T, D]', async () => {
    const rng = new Rng(2);
    const encoder = new CommunicationEncoder(6, 7, 5, { rng });
    await moduleGradCheck(
      'encoder [2,3,6]',
      encoder,
      ([x]) => encoder.forward(x),
      ([x], p) => referenceBlock(x, p, 'block.', [6, 7, 5]),
      [{ shape: [2, 3, 6], values: randomValues([2, 3, 6], rng) }],
      TOL,
    );
  });

  it('rejects s and e of different batch', () => {
    const encoder = new CommunicationEncoder(5, 4, 3);
    expect(() => encoder.encode(randn([2, 3]), randn([3, 2]))).toThrow(/s \[2,3\] and e \[3,2\] differ outside the last dim/);
  });
});

describe('CommunicationDecoder', () => {
  it('splits a message into s and e', async () => {
    const rng = new Rng(3);
    const decoder = new CommunicationDecoder(4, 9, { sDim: 3, eDim: 2 }, { rng });
    const message = randn([2, 5, 4], { rng });
    const { s, e } = decoder.forward(message);
    expect(s.shape).toEqual([2, 5, 3]);
    expect(e.shape).toEqual([2, 5, 2]);
    const all = await decoder.block.forward(message).data();
    const sv = await s.data();
    const ev = await e.data();
    expect(Array.from(sv.slice(0, 3))).toEqual(Array.from(all.slice(0, 3)));
    expect(Array.from(ev.slice(0, 2))).toEqual(Array.from(all.slice(3, 5)));
    expect(Array.from(ev.slice(-2))).toEqual(Array.from(all.slice(-2)));
  });

  it('gradient through both parts', async () => {
    const rng = new Rng(4);
    const decoder = new CommunicationDecoder(4, 6, { sDim: 3, eDim: 2 }, { rng });
    await moduleGradCheck(
      'decoder s*2+e sum',
      decoder,
      ([m]) => {
        const { s, e } = decoder.forward(m);
        return s.mul(2).sum(-1).add(e.sum(-1));
      },
      ([m], p) => {
        const y = referenceBlock(m, p, 'block.', [4, 6, 5]);
        return Float64Array.from({ length: y.length / 5 }, (_, r) => 2 * (y[r * 5] + y[r * 5 + 1] + y[r * 5 + 2]) + y[r * 5 + 3] + y[r * 5 + 4]);
      },
      [{ shape: [7, 4], values: randomValues([7, 4], rng) }],
      TOL,
    );
  });
});
