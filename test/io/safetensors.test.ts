import { describe, expect, it } from 'vitest';

import { float32ArrayToBfloat16, float32ArrayToFloat16 } from '../../src/io/float16.js';
import { decodeSafetensors, encodeSafetensors, toFloat32, type SafetensorsTensor } from '../../src/io/safetensors.js';
import { Rng } from '../../src/util/rng.js';

const ascii = (text: string): number[] => Array.from(text, (ch) => ch.charCodeAt(0));
const u64 = (value: number): number[] => Array.from({ length: 8 }, (_, i) => Math.floor(value / 256 ** i) % 256);
const bytesOf = (data: ArrayBufferView): Uint8Array => new Uint8Array(data.buffer, data.byteOffset, data.byteLength);

// Builds a file from a header string and data bytes, with no padding.
function file(header: string, data: number[] = []): Uint8Array {
  return new Uint8Array([...u64(header.length), ...ascii(header), ...data]);
}

function randomTensors(rng: Rng): Record<string, SafetensorsTensor> {
  const f32 = Float32Array.from({ length: 3 * 5 * 7 }, () => rng.normal());
  const f32Bits = new Uint32Array(f32.buffer);
  f32Bits[4] = 0x7fa01234; // signalling NaN with a payload
  f32Bits[9] = 0xffc00001; // negative quiet NaN with a payload
  f32[11] = -0;

  const f64 = Float64Array.from({ length: 11 }, () => rng.normal() * 1e300);
  new BigUint64Array(f64.buffer)[2] = 0x7ff0000000000abcn;
  f64[3] = -0;

  return {
    'layer.0.weight': { dtype: 'F32', shape: [3, 5, 7], data: f32 },
    'layer.0.bias': { dtype: 'F64', shape: [11], data: f64 },
    half: { dtype: 'F16', shape: [2, 3], data: Uint16Array.from({ length: 6 }, () => rng.int(0x10000)) },
    brain: { dtype: 'BF16', shape: [5], data: Uint16Array.from({ length: 5 }, () => rng.int(0x10000)) },
    step: { dtype: 'I64', shape: [], data: BigInt64Array.from([-(2n ** 62n) + 17n]) },
    big: { dtype: 'U64', shape: [2], data: BigUint64Array.from([2n ** 64n - 1n, 3n]) },
    ids: { dtype: 'I32', shape: [4, 1], data: Int32Array.from({ length: 4 }, () => rng.int(2 ** 31) - 2 ** 30) },
    counts: { dtype: 'U32', shape: [3], data: Uint32Array.from([0xffffffff, 1, 2]) },
    shorts: { dtype: 'I16', shape: [3], data: Int16Array.from([-32768, 5, 32767]) },
    ushorts: { dtype: 'U16', shape: [1], data: Uint16Array.from([65535]) },
    bytes: { dtype: 'U8', shape: [13], data: Uint8Array.from({ length: 13 }, () => rng.int(256)) },
    signed: { dtype: 'I8', shape: [3], data: Int8Array.from([-128, 0, 127]) },
    mask: { dtype: 'BOOL', shape: [3], data: Uint8Array.from([1, 0, 1]) },
    fp8: { dtype: 'F8_E4M3', shape: [2], data: Uint8Array.from([0x38, 0xb8]) },
    empty: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
  };
}

describe('encodeSafetensors', () => {
  it('matches hand-written bytes', () => {
    const header =
      '{"__metadata__":{"format":"pt","step":"7"},' +
      '"a_u8":{"dtype":"U8","shape":[3],"data_offsets":[0,3]},' +
      '"b":{"dtype":"F32","shape":[2],"data_offsets":[3,11]}}';
    const padded = header + ' '.repeat((8 - (header.length % 8)) % 8);
    // 1.5 = 0x3fc00000 and -2.25 = 0xc0100000, little-endian.
    const expected = new Uint8Array([...u64(padded.length), ...ascii(padded), 9, 200, 77, 0, 0, 0xc0, 0x3f, 0, 0, 0x10, 0xc0]);

    const encoded = encodeSafetensors(
      { b: { dtype: 'F32', shape: [2], data: Float32Array.from([1.5, -2.25]) }, a_u8: { dtype: 'U8', shape: [3], data: Uint8Array.from([9, 200, 77]) } },
      { step: '7', format: 'pt' },
    );
    expect(Array.from(encoded)).toEqual(Array.from(expected));
  });

  it('header padded to 8', () => {
    const encoded = encodeSafetensors(randomTensors(new Rng(1)));
    const headerLength = Number(new DataView(encoded.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    expect(encoded[8 + headerLength - 1]).toBeOneOf([0x20, 0x7d]);
  });

  it('wrong array type', () => {
    const tensor = { dtype: 'F32', shape: [2], data: new Float64Array(2) } as unknown as SafetensorsTensor;
    expect(() => encodeSafetensors({ w: tensor })).toThrow("tensor 'w' of dtype F32 needs a Float32Array, got Float64Array");
  });

  it('shape and length differ', () => {
    expect(() => encodeSafetensors({ w: { dtype: 'I32', shape: [2, 3], data: new Int32Array(5) } })).toThrow(
      "tensor 'w' has 5 elements but shape [2,3] needs 6",
    );
  });

  it('reserved name', () => {
    expect(() => encodeSafetensors({ __metadata__: { dtype: 'U8', shape: [1], data: new Uint8Array(1) } })).toThrow(/reserved/);
  });

  it('proto name kept as tensor', () => {
    const tensors = JSON.parse('{"__proto__": 0}') as Record<string, unknown>;
    tensors['__proto__'] = { dtype: 'U8', shape: [1], data: Uint8Array.from([42]) };
    const decoded = decodeSafetensors(encodeSafetensors(tensors as Record<string, SafetensorsTensor>), 'p');
    expect(Object.keys(decoded.tensors)).toEqual(['__proto__']);
  });
});

describe('decodeSafetensors', () => {
  it('round trip bit-exact', () => {
    const tensors = randomTensors(new Rng(2));
    const decoded = decodeSafetensors(encodeSafetensors(tensors, { note: 'héllo' }), 'x');
    expect(Object.keys(decoded.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, tensor] of Object.entries(tensors)) {
      expect(decoded.tensors[name].dtype, name).toBe(tensor.dtype);
      expect(decoded.tensors[name].shape, name).toEqual(tensor.shape);
      expect(decoded.tensors[name].data.constructor, name).toBe(tensor.data.constructor);
      expect(Array.from(bytesOf(decoded.tensors[name].data)), name).toEqual(Array.from(bytesOf(tensor.data)));
    }
    expect(decoded.metadata).toEqual({ note: 'héllo' });
  });

  it('foreign layout unpadded', () => {
    // Keys out of order, data in reverse key order, no padding, as another writer may produce.
    const header = '{"w":{"dtype":"F16","shape":[2],"data_offsets":[4,8]},"v":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}';
    const decoded = decodeSafetensors(file(header, [0xfe, 0xff, 0xff, 0xff, 0x00, 0x3c, 0x00, 0xc0]), 'f');
    expect(Array.from(decoded.tensors.v.data as Int32Array)).toEqual([-2]);
    expect(Array.from(toFloat32(decoded.tensors.w))).toEqual([1, -2]);
  });

  it('no metadata gives empty map', () => {
    expect(decodeSafetensors(file('{}'), 'f').metadata).toEqual({});
  });

  it('shorter than length field', () => {
    expect(() => decodeSafetensors(new Uint8Array(5), '/c/m.safetensors')).toThrow(
      'decodeSafetensors: /c/m.safetensors: file has 5 bytes, shorter than the 8-byte header length',
    );
  });

  it('header length beyond file', () => {
    const bytes = new Uint8Array([...u64(100), ...ascii('{}')]);
    expect(() => decodeSafetensors(bytes, 'm')).toThrow('header length 100 exceeds the 2 bytes after the length field');
  });

  it('huge header length', () => {
    const bytes = new Uint8Array([255, 255, 255, 255, 255, 255, 255, 255, ...ascii('{}')]);
    expect(() => decodeSafetensors(bytes, 'm')).toThrow('header length 18446744073709551615 exceeds');
  });

  it('invalid JSON', () => {
    expect(() => decodeSafetensors(file('{"a":'), 'm')).toThrow(/m: header is not valid JSON/);
  });

  it('invalid UTF-8', () => {
    const bytes = new Uint8Array([...u64(4), 0x7b, 0xff, 0xfe, 0x7d]);
    expect(() => decodeSafetensors(bytes, 'm')).toThrow('m: header is not valid UTF-8');
  });

  it('header not an object', () => {
    expect(() => decodeSafetensors(file('[1,2]'), 'm')).toThrow('header JSON is not an object');
  });

  it('unknown dtype', () => {
    expect(() => decodeSafetensors(file('{"w":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}', new Array(16).fill(1)), 'm')).toThrow(
      `tensor 'w' has unknown dtype "F128"`,
    );
  });

  it('offsets beyond data', () => {
    expect(() => decodeSafetensors(file('{"w":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}', [1, 2, 3]), 'm')).toThrow(
      "tensor 'w' data_offsets [0, 4] are out of range for 3 data bytes",
    );
  });

  it('offsets reversed', () => {
    expect(() => decodeSafetensors(file('{"w":{"dtype":"U8","shape":[0],"data_offsets":[2,1]}}', [1, 2]), 'm')).toThrow(
      "data_offsets [2, 1] are out of range",
    );
  });

  it('overlapping tensors', () => {
    const header = '{"a":{"dtype":"U8","shape":[3],"data_offsets":[0,3]},"b":{"dtype":"U8","shape":[3],"data_offsets":[1,4]}}';
    expect(() => decodeSafetensors(file(header, [1, 2, 3, 4]), 'm')).toThrow("tensors 'a' and 'b' overlap");
  });

  it('gap between tensors', () => {
    const header = '{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}';
    expect(() => decodeSafetensors(file(header, [1, 2, 3]), 'm')).toThrow('data bytes [1, 2) belong to no tensor');
  });

  it('trailing bytes', () => {
    expect(() => decodeSafetensors(file('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', [1, 2]), 'm')).toThrow(
      '1 data bytes after the last tensor belong to no tensor',
    );
  });

  it('byte length and shape differ', () => {
    expect(() => decodeSafetensors(file('{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}', new Array(12).fill(7)), 'm')).toThrow(
      "tensor 'a' has 12 bytes but shape [2,2] of F32 needs 16",
    );
  });

  it('negative shape', () => {
    expect(() => decodeSafetensors(file('{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}'), 'm')).toThrow(
      "tensor 'a' shape [-1] is not a list of non-negative integers",
    );
  });

  it('metadata value not a string', () => {
    expect(() => decodeSafetensors(file('{"__metadata__":{"epoch":3}}'), 'm')).toThrow(
      "__metadata__ value of 'epoch' is 3, not a string",
    );
  });
});

describe('toFloat32', () => {
  it('F16 values', () => {
    const values = [1, -2, 0.5, 65504, Infinity, -0];
    const out = toFloat32({ dtype: 'F16', shape: [6], data: float32ArrayToFloat16(values) });
    expect(Array.from(out)).toEqual(values);
  });

  it('BF16 values', () => {
    const out = toFloat32({ dtype: 'BF16', shape: [3], data: float32ArrayToBfloat16([1, -5, 0.15625]) });
    expect(Array.from(out)).toEqual([1, -5, 0.15625]);
  });

  it('F64 rounds to float32', () => {
    const out = toFloat32({ dtype: 'F64', shape: [2], data: Float64Array.from([0.1, -1e40]) });
    expect(out[0]).toBe(Math.fround(0.1));
    expect(out[1]).toBe(-Infinity);
  });

  it('I64 values', () => {
    expect(Array.from(toFloat32({ dtype: 'I64', shape: [2], data: BigInt64Array.from([-3n, 2n ** 40n]) }))).toEqual([-3, 2 ** 40]);
  });

  it('F8 rejected', () => {
    expect(() => toFloat32({ dtype: 'F8_E5M2', shape: [1], data: new Uint8Array(1) })).toThrow(/F8_E5M2 is not supported/);
  });
});
