// Conversions between float32 and the 16-bit float formats IEEE 754 binary16 (F16) and
// bfloat16 (BF16, the top 16 bits of a float32). Float32 to 16-bit rounds to nearest,
// ties to even. 16-bit values travel as their raw bits in a number or a Uint16Array.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Converts a number to binary16 bits, rounding to nearest even. Overflow gives infinity. */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;

  if (exponent === 0xff) {
    // Infinity stays infinity. A NaN keeps its top payload bits and is made quiet.
    return sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200 | (mantissa >>> 13));
  }

  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;

  if (halfExponent <= 0) {
    // Subnormal half: the value in units of 2^-24 is (1.mantissa) >> (14 - halfExponent).
    if (halfExponent < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - halfExponent;
    return sign | roundShift(mantissa, shift);
  }

  // A carry out of the mantissa correctly bumps the exponent, up to infinity.
  return sign | ((halfExponent << 10) + roundShift(mantissa, 13));
}

/** Converts binary16 bits to a number (exact). */
export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;

  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** Converts a number to bfloat16 bits, rounding to nearest even. NaN stays a quiet NaN. */
export function float32ToBfloat16Bits(value: number): number {
  f32[0] = value;
  const bits = u32[0];
  if (Number.isNaN(value)) return (bits >>> 16) | 0x40;
  return (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16;
}

/** Converts bfloat16 bits to a number (exact). */
export function bfloat16BitsToFloat32(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0];
}

/** Converts an array of numbers to binary16 bits. */
export function float32ArrayToFloat16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32ToFloat16Bits(values[i]);
  return out;
}

/** Converts an array of numbers to bfloat16 bits. */
export function float32ArrayToBfloat16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32ToBfloat16Bits(values[i]);
  return out;
}

// Shifts `value` right by `shift` bits, rounding to nearest with ties to even.
function roundShift(value: number, shift: number): number {
  const truncated = value >>> shift;
  const remainder = value & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  return remainder > halfway || (remainder === halfway && (truncated & 1) === 1) ? truncated + 1 : truncated;
}
