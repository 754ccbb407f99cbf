// Builds small ONNX models (ModelProto bytes) for the ONNX Runtime Web peer, so the
// benchmark needs no model files and no protobuf package. Field numbers follow
// onnx/onnx.proto (ONNX 1.16, IR version 9); only the fields used here are written.

type Field = Uint8Array;

const encoder = new TextEncoder();

function varint(value: number): number[] {
  // Negative int64 values (axis -1) are written as their 64-bit two's complement: 10 bytes.
  let v = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  while (v >= 0x80n) {
    bytes.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  bytes.push(Number(v));
  return bytes;
}

function concat(parts: Field[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Wire type 0: int32, int64 and enum fields. */
function intField(field: number, value: number): Field {
  return Uint8Array.from([...varint(field * 8), ...varint(value)]);
}

/** Wire type 2: strings, bytes and embedded messages. */
function bytesField(field: number, value: Uint8Array | string): Field {
  const bytes = typeof value === 'string' ? encoder.encode(value) : value;
  return concat([Uint8Array.from([...varint(field * 8 + 2), ...varint(bytes.length)]), bytes]);
}

/** Wire type 5: a single f32. */
function floatField(field: number, value: number): Field {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setFloat32(0, value, true);
  return concat([Uint8Array.from(varint(field * 8 + 5)), bytes]);
}

const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTRIBUTE_FLOAT = 1;
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_INTS = 7;

export type AttributeValue = number | { float: number } | number[];

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  /** Integers are written as INT, `{ float }` as FLOAT and arrays as INTS. */
  attributes?: Record<string, AttributeValue>;
  /** Operator domain, e.g. 'com.microsoft' for ONNX Runtime contrib ops; '' is the ONNX domain. */
  domain?: string;
}

export interface OnnxValue {
  name: string;
  shape: number[];
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  /** Constant f32 tensors. */
  initializers?: { name: string; shape: number[]; values: Float32Array }[];
}

function attribute(name: string, value: AttributeValue): Field {
  const parts = [bytesField(1, name)];
  if (Array.isArray(value)) {
    for (const v of value) parts.push(intField(8, v));
    parts.push(intField(20, ATTRIBUTE_INTS));
  } else if (typeof value === 'number') {
    parts.push(intField(3, value), intField(20, ATTRIBUTE_INT));
  } else {
    parts.push(floatField(2, value.float), intField(20, ATTRIBUTE_FLOAT));
  }
  return concat(parts);
}

function node(n: OnnxNode, index: number): Field {
  const parts = [
    ...n.inputs.map((name) => bytesField(1, name)),
    ...n.outputs.map((name) => bytesField(2, name)),
    bytesField(3, `${n.op}_${index}`),
    bytesField(4, n.op),
  ];
  for (const [name, value] of Object.entries(n.attributes ?? {})) parts.push(bytesField(5, attribute(name, value)));
  if (n.domain !== undefined && n.domain !== '') parts.push(bytesField(7, n.domain));
  return concat(parts);
}

/** ValueInfoProto of an f32 tensor with fixed dims. */
function valueInfo(v: OnnxValue): Field {
  const dims = v.shape.map((d) => bytesField(1, intField(1, d)));
  const tensorType = concat([intField(1, FLOAT), bytesField(2, concat(dims))]);
  return concat([bytesField(1, v.name), bytesField(2, bytesField(1, tensorType))]);
}

function initializer(t: { name: string; shape: number[]; values: Float32Array }): Field {
  const raw = new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength);
  return concat([...t.shape.map((d) => intField(1, d)), intField(2, FLOAT), bytesField(8, t.name), bytesField(9, raw)]);
}

/** Returns the serialized ModelProto of `graph`, importing ONNX opset 17 and, if used, com.microsoft opset 1. */
export function onnxModel(graph: OnnxGraph): Uint8Array {
  const graphBytes = concat([
    ...graph.nodes.map((n, i) => bytesField(1, node(n, i))),
    bytesField(2, 'bench'),
    ...(graph.initializers ?? []).map((t) => bytesField(5, initializer(t))),
    ...graph.inputs.map((v) => bytesField(11, valueInfo(v))),
    ...graph.outputs.map((v) => bytesField(12, valueInfo(v))),
  ]);
  const opsets = [bytesField(8, concat([bytesField(1, ''), intField(2, 17)]))];
  if (graph.nodes.some((n) => n.domain === 'com.microsoft')) {
    opsets.push(bytesField(8, concat([bytesField(1, 'com.microsoft'), intField(2, 1)])));
  }
  return concat([intField(1, 9), bytesField(2, 'talkgrad-bench'), ...opsets, bytesField(7, graphBytes)]);
}
