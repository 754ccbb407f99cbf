import { describe, expect, it } from 'vitest';

import {
  bfloat16BitsToFloat32,
  float16BitsToFloat32,
  float32ArrayToBfloat16,
  float32ArrayToFloat16,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
} from '../../src/io/float16.js';

describe('float16', () => {
  const cases: [number, number][] = [
    [1, 0x3c00],
    [-2, 0xc000],
    [0.1, 0x2e66],
    [65504, 0x7bff],
    [65520, 0x7c00], // halfway to the next step rounds to even, which is infinity
    [2 ** -24, 0x0001],
    [2 ** -25, 0x0000], // tie between 0 and the smallest subnormal goes to even
    [1.5 * 2 ** -25, 0x0001],
    [2 ** -14, 0x0400],
    [1 + 2 ** -11, 0x3c00], // tie goes to even
    [1 + 3 * 2 ** -11, 0x3c02],
    [-0, 0x8000],
    [-Infinity, 0xfc00],
  ];

  for (const [value, bits] of cases) {
    it(`encodes ${Object.is(value, -0) ? '-0' : value}`, () => {
      expect(float32ToFloat16Bits(value)).toBe(bits);
    });
  }

  it('NaN stays quiet NaN', () => {
    expect(float32ToFloat16Bits(NaN) & 0x7e00).toBe(0x7e00);
  });

  it('every finite half round trips', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      if ((bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0) continue; // NaN
      const back = float32ToFloat16Bits(float16BitsToFloat32(bits));
      if (back !== bits) expect(back.toString(16)).toBe(bits.toString(16));
    }
  });

  it('decodes subnormal', () => {
    expect(float16BitsToFloat32(0x0003)).toBe(3 * 2 ** -24);
  });

  it('decodes negative zero', () => {
    expect(Object.is(float16BitsToFloat32(0x8000), -0)).toBe(true);
  });

  it('array helper', () => {
    expect(float32ArrayToFloat16([1, -2, 65504])).toEqual(new Uint16Array([0x3c00, 0xc000, 0x7bff]));
  });
});

describe('bfloat16', () => {
  it('encodes one', () => {
    expect(float32ToBfloat16Bits(1)).toBe(0x3f80);
  });

  it('tie goes to even', () => {
    expect(float32ToBfloat16Bits(1 + 2 ** -8)).toBe(0x3f80);
  });

  it('above tie rounds up', () => {
    expect(float32ToBfloat16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
  });

  it('NaN stays NaN', () => {
    expect(Number.isNaN(bfloat16BitsToFloat32(float32ToBfloat16Bits(NaN)))).toBe(true);
  });

  it('largest finite rounds to infinity', () => {
    expect(float32ToBfloat16Bits(3.4028234663852886e38)).toBe(0x7f80);
  });

  it('decodes exactly', () => {
    expect(bfloat16BitsToFloat32(0xc0a0)).toBe(-5);
  });

  it('array helper', () => {
    expect(float32ArrayToBfloat16([1, -5])).toEqual(new Uint16Array([0x3f80, 0xc0a0]));
  });
});
