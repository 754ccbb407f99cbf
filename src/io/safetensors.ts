// The safetensors format (Hugging Face): an 8-byte little-endian u64 header length N,
// N bytes of UTF-8 JSON, then the tensor bytes. The JSON maps each tensor name to
// { "dtype", "shape", "data_offsets": [begin, end] }, with offsets relative to the first
// byte after the header, and may hold "__metadata__", a map of string to string.
// Tensor data is little-endian and C-contiguous.
//
// The encoder writes "__metadata__" first, then tensors sorted by name, lays the data
// out contiguously in that order and pads the header with spaces to a multiple of 8.
// The decoder accepts any order, but the data regions must tile the byte buffer
// exactly: no gap, no overlap, no trailing bytes.

import { bfloat16BitsToFloat32, float16BitsToFloat32 } from './float16.js';

/** Size in bytes of one element of each dtype. */
export const SAFETENSORS_DTYPE_BYTES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
} as const;

export type SafetensorsDtype = keyof typeof SAFETENSORS_DTYPE_BYTES;

/** Typed array for each dtype. 16-bit and 8-bit floats are stored as their raw bits. */
export interface SafetensorsArrays {
  BOOL: Uint8Array;
  U8: Uint8Array;
  I8: Int8Array;
  F8_E5M2: Uint8Array;
  F8_E4M3: Uint8Array;
  I16: Int16Array;
  U16: Uint16Array;
  F16: Uint16Array;
  BF16: Uint16Array;
  I32: Int32Array;
  U32: Uint32Array;
  F32: Float32Array;
  F64: Float64Array;
  I64: BigInt64Array;
  U64: BigUint64Array;
}

export type SafetensorsTensor = {
  [D in SafetensorsDtype]: { dtype: D; shape: number[]; data: SafetensorsArrays[D] };
}[SafetensorsDtype];

export interface SafetensorsContents {
  tensors: Record<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

type TypedArrayConstructor = {
  new (length: number): SafetensorsArrays[SafetensorsDtype];
  new (buffer: ArrayBuffer, byteOffset?: number, length?: number): SafetensorsArrays[SafetensorsDtype];
};

const ARRAY_TYPES: Record<SafetensorsDtype, TypedArrayConstructor> = {
  BOOL: Uint8Array,
  U8: Uint8Array,
  I8: Int8Array,
  F8_E5M2: Uint8Array,
  F8_E4M3: Uint8Array,
  I16: Int16Array,
  U16: Uint16Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I32: Int32Array,
  U32: Uint32Array,
  F32: Float32Array,
  F64: Float64Array,
  I64: BigInt64Array,
  U64: BigUint64Array,
};

const METADATA_KEY = '__metadata__';

/** Encodes tensors and optional string metadata as a safetensors file. */
export function encodeSafetensors(
  tensors: Record<string, SafetensorsTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  checkLittleEndian('encodeSafetensors');
  const names = Object.keys(tensors).sort(compareCodePoints);

  // Entries are collected as pairs because assigning a key like "__proto__" to a plain
  // object would change its prototype instead of adding a property.
  const headerEntries: [string, unknown][] = [];
  if (metadata !== undefined) headerEntries.push([METADATA_KEY, checkedMetadata(metadata)]);
  let offset = 0;
  for (const name of names) {
    const tensor = tensors[name];
    checkTensorForEncoding(name, tensor);
    const byteLength = tensor.data.byteLength;
    headerEntries.push([name, { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, offset + byteLength] }]);
    offset += byteLength;
  }

  const json = new TextEncoder().encode(JSON.stringify(Object.fromEntries(headerEntries)));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);

  let position = 8 + headerLength;
  for (const name of names) {
    const data = tensors[name].data;
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), position);
    position += data.byteLength;
  }
  return out;
}

/** Decodes and validates a safetensors file. `name` labels errors. Data arrays are copies. */
export function decodeSafetensors(bytes: Uint8Array, name: string): SafetensorsContents {
  checkLittleEndian('decodeSafetensors');
  const fail = (problem: string): never => {
    throw new Error(`decodeSafetensors: ${name}: ${problem}`);
  };

  if (bytes.length < 8) fail(`file has ${bytes.length} bytes, shorter than the 8-byte header length; it is truncated`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8)) {
    fail(`header length ${headerLength} exceeds the ${bytes.length - 8} bytes after the length field; the file is truncated or not safetensors`);
  }
  const dataStart = 8 + Number(headerLength);
  const dataLength = bytes.length - dataStart;

  const header = parseHeader(bytes.subarray(8, dataStart), fail);
  let metadata: Record<string, string> = {};
  const entries: { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }[] = [];

  for (const [key, value] of Object.entries(header)) {
    if (key === METADATA_KEY) {
      metadata = parseMetadata(value, fail);
      continue;
    }
    entries.push({ name: key, ...parseTensorInfo(key, value, dataLength, fail) });
  }
  checkTiling(entries, dataLength, fail);

  const tensors = Object.fromEntries(
    entries.map((entry) => {
      const copy = bytes.slice(dataStart + entry.begin, dataStart + entry.end);
      const data = new ARRAY_TYPES[entry.dtype](copy.buffer);
      return [entry.name, { dtype: entry.dtype, shape: entry.shape, data } as SafetensorsTensor];
    }),
  );
  return { tensors, metadata };
}

/**
 * Converts any numeric tensor to Float32Array values: F16 and BF16 bits are decoded,
 * F64 and 64-bit integers are rounded to the nearest float32. F32 data is returned as is.
 */
export function toFloat32(tensor: SafetensorsTensor): Float32Array {
  switch (tensor.dtype) {
    case 'F32':
      return tensor.data;
    case 'F16':
      return Float32Array.from(tensor.data, float16BitsToFloat32);
    case 'BF16':
      return Float32Array.from(tensor.data, bfloat16BitsToFloat32);
    case 'I64':
    case 'U64':
      return Float32Array.from(tensor.data, (value) => Number(value));
    case 'F8_E4M3':
    case 'F8_E5M2':
      throw new Error(`toFloat32: dtype ${tensor.dtype} is not supported; convert it to F16 or F32 first`);
    default:
      return Float32Array.from(tensor.data);
  }
}

/** Returns the number of elements of a shape (1 for a scalar). */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}

function parseHeader(headerBytes: Uint8Array, fail: (problem: string) => never): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    return fail('header is not valid UTF-8');
  }

  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    return fail(`header is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    return fail('header JSON is not an object');
  }
  return header as Record<string, unknown>;
}

function parseMetadata(value: unknown, fail: (problem: string) => never): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(`${METADATA_KEY} is not an object of strings`);
  }
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') fail(`${METADATA_KEY} value of '${key}' is ${JSON.stringify(item)}, not a string`);
  }
  return value as Record<string, string>;
}

function parseTensorInfo(
  name: string,
  value: unknown,
  dataLength: number,
  fail: (problem: string) => never,
): { dtype: SafetensorsDtype; shape: number[]; begin: number; end: number } {
  if (typeof value !== 'object' || value === null) return fail(`tensor '${name}' entry is not an object`);
  const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };

  if (typeof info.dtype !== 'string' || !Object.hasOwn(SAFETENSORS_DTYPE_BYTES, info.dtype)) {
    fail(`tensor '${name}' has unknown dtype ${JSON.stringify(info.dtype)}; known: ${Object.keys(SAFETENSORS_DTYPE_BYTES).join(', ')}`);
  }
  const dtype = info.dtype as SafetensorsDtype;
  if (!isIntegerList(info.shape)) fail(`tensor '${name}' shape ${JSON.stringify(info.shape)} is not a list of non-negative integers`);
  const shape = info.shape as number[];
  if (!isIntegerList(info.data_offsets) || info.data_offsets.length !== 2) {
    fail(`tensor '${name}' data_offsets ${JSON.stringify(info.data_offsets)} is not a pair of non-negative integers`);
  }

  const [begin, end] = info.data_offsets as number[];
  if (begin > end || end > dataLength) {
    fail(`tensor '${name}' data_offsets [${begin}, ${end}] are out of range for ${dataLength} data bytes`);
  }
  const expected = shapeSize(shape) * SAFETENSORS_DTYPE_BYTES[dtype];
  if (end - begin !== expected) {
    fail(`tensor '${name}' has ${end - begin} bytes but shape [${shape}] of ${dtype} needs ${expected}`);
  }
  return { dtype, shape, begin, end };
}

function checkTiling(entries: { name: string; begin: number; end: number }[], dataLength: number, fail: (problem: string) => never): void {
  const ordered = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let previousEnd = 0;
  let previousName = '';
  for (const entry of ordered) {
    if (entry.begin < previousEnd) {
      fail(`tensors '${previousName}' and '${entry.name}' overlap (${entry.name} begins at ${entry.begin}, before ${previousEnd})`);
    }
    if (entry.begin > previousEnd) fail(`data bytes [${previousEnd}, ${entry.begin}) belong to no tensor`);
    previousEnd = entry.end;
    previousName = entry.name;
  }
  if (previousEnd !== dataLength) fail(`${dataLength - previousEnd} data bytes after the last tensor belong to no tensor`);
}

function checkTensorForEncoding(name: string, tensor: SafetensorsTensor): void {
  if (name === METADATA_KEY) throw new Error(`encodeSafetensors: '${METADATA_KEY}' is reserved and cannot name a tensor`);
  if (!Object.hasOwn(SAFETENSORS_DTYPE_BYTES, tensor.dtype)) {
    throw new Error(`encodeSafetensors: tensor '${name}' has unknown dtype '${String(tensor.dtype)}'`);
  }
  if (!isIntegerList(tensor.shape)) {
    throw new Error(`encodeSafetensors: tensor '${name}' shape [${String(tensor.shape)}] is not a list of non-negative integers`);
  }

  const arrayType = ARRAY_TYPES[tensor.dtype];
  if (!(tensor.data instanceof arrayType)) {
    throw new Error(`encodeSafetensors: tensor '${name}' of dtype ${tensor.dtype} needs a ${arrayType.name}, got ${tensor.data.constructor.name}`);
  }
  if (tensor.data.length !== shapeSize(tensor.shape)) {
    throw new Error(`encodeSafetensors: tensor '${name}' has ${tensor.data.length} elements but shape [${tensor.shape}] needs ${shapeSize(tensor.shape)}`);
  }
}

function checkedMetadata(metadata: Record<string, string>): Record<string, string> {
  const keys = Object.keys(metadata).sort(compareCodePoints);
  for (const key of keys) {
    if (typeof metadata[key] !== 'string') {
      throw new Error(`encodeSafetensors: metadata value of '${key}' is ${typeof metadata[key]}; safetensors metadata values must be strings`);
    }
  }
  return Object.fromEntries(keys.map((key) => [key, metadata[key]]));
}

function isIntegerList(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((item) => Number.isSafeInteger(item) && item >= 0);
}

function compareCodePoints(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}

function checkLittleEndian(caller: string): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
    throw new Error(`${caller}: this platform is big-endian; safetensors data is little-endian and byte swapping is not implemented`);
  }
}
