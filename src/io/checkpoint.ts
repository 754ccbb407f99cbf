// Checkpoints as safetensors bytes. This file is browser-safe, and checkpoint-node.ts writes files.
//
// A model checkpoint contains the state dict under its own keys and the model's JSON
// config in the metadata entry "config". A training checkpoint prefixes the model's
// keys with "model." and the optimizer's with "optimizer.", and adds the metadata
// entries "optimizer" (kind, hyperparameters, step counts) and "extra" (any JSON the
// caller wants back, e.g. a sampler position), so a run can resume exactly.

import type { Module, StateDict, StateValue } from '../nn/module.js';
import type { Optimizer, OptimizerState } from '../optim/optimizer.js';
import type { Tensor } from '../tensor/tensor.js';
import { decodeSafetensors, encodeSafetensors, toFloat32, type SafetensorsTensor } from './safetensors.js';

/** Values of a decoded state dict: float32 data with its shape, ready for loadStateDict. */
export type DecodedStateDict = Record<string, { shape: number[]; data: Float32Array }>;

/** Reads every tensor of a state dict back to the CPU as safetensors F32 or I32 entries. */
export async function stateDictToSafetensors(dict: StateDict): Promise<Record<string, SafetensorsTensor>> {
  const out: Record<string, SafetensorsTensor> = {};
  for (const [key, t] of Object.entries(dict)) {
    const shape = [...t.shape];
    out[key] = t.dtype === 'int32' ? { dtype: 'I32', shape, data: await t.dataInt32() } : { dtype: 'F32', shape, data: await t.data() };
  }
  return out;
}

/** Converts decoded safetensors entries to float32 state dict values (F16, BF16 and F64 are converted). */
export function safetensorsToStateDict(tensors: Record<string, SafetensorsTensor>): DecodedStateDict {
  const out: DecodedStateDict = {};
  for (const [key, t] of Object.entries(tensors)) out[key] = { shape: t.shape, data: toFloat32(t) };
  return out;
}

/** Encodes a module's state dict with its JSON config in the metadata. */
export async function encodeModelCheckpoint(model: Module, config?: unknown): Promise<Uint8Array> {
  const metadata = config === undefined ? undefined : { config: JSON.stringify(config) };
  return encodeSafetensors(await stateDictToSafetensors(model.stateDict()), metadata);
}

export interface DecodedModelCheckpoint {
  stateDict: DecodedStateDict;
  /** The parsed "config" metadata entry, or undefined when the file has none. */
  config: unknown;
  metadata: Record<string, string>;
}

/** Decodes a model checkpoint. `name` labels errors (e.g. the file path). */
export function decodeModelCheckpoint(bytes: Uint8Array, name: string): DecodedModelCheckpoint {
  const { tensors, metadata } = decodeSafetensors(bytes, name);
  return { stateDict: safetensorsToStateDict(tensors), config: parseJsonEntry(metadata, 'config', name), metadata };
}

export interface TrainingCheckpoint {
  model: Module;
  optimizer?: Optimizer;
  config?: unknown;
  /** Any JSON value to store beside the weights, e.g. { sampler: sampler.state() }. */
  extra?: unknown;
}

export async function encodeTrainingCheckpoint(checkpoint: TrainingCheckpoint): Promise<Uint8Array> {
  const tensors = prefixKeys('model.', await stateDictToSafetensors(checkpoint.model.stateDict()));
  const metadata: Record<string, string> = {};
  if (checkpoint.config !== undefined) metadata.config = JSON.stringify(checkpoint.config);
  if (checkpoint.extra !== undefined) metadata.extra = JSON.stringify(checkpoint.extra);

  if (checkpoint.optimizer !== undefined) {
    const state = checkpoint.optimizer.stateDict();
    Object.assign(tensors, prefixKeys('optimizer.', await stateDictToSafetensors(state.tensors as Record<string, Tensor>)));
    metadata.optimizer = JSON.stringify({ kind: state.kind, options: state.options, steps: state.steps });
  }
  return encodeSafetensors(tensors, metadata);
}

export interface RestoredTraining {
  config: unknown;
  extra: unknown;
}

/**
 * Loads a training checkpoint into `model` (strictly) and, when given, `optimizer`.
 * Returns the stored config and extra values.
 */
export function decodeTrainingCheckpoint(
  bytes: Uint8Array,
  name: string,
  target: { model: Module; optimizer?: Optimizer },
): RestoredTraining {
  const { tensors, metadata } = decodeSafetensors(bytes, name);
  const decoded = safetensorsToStateDict(tensors);
  const modelDict: Record<string, StateValue> = {};
  const optimizerTensors: OptimizerState['tensors'] = {};
  for (const [key, value] of Object.entries(decoded)) {
    if (key.startsWith('model.')) modelDict[key.slice('model.'.length)] = value;
    else if (key.startsWith('optimizer.')) optimizerTensors[key.slice('optimizer.'.length)] = value;
    else throw new Error(`decodeTrainingCheckpoint: ${name}: key '${key}' starts with neither 'model.' nor 'optimizer.'`);
  }
  target.model.loadStateDict(modelDict);

  if (target.optimizer !== undefined) {
    const saved = parseJsonEntry(metadata, 'optimizer', name) as Omit<OptimizerState, 'tensors'> | undefined;
    if (saved === undefined) throw new Error(`decodeTrainingCheckpoint: ${name} contains no optimizer state. Load it without an optimizer`);
    target.optimizer.loadStateDict({ ...saved, tensors: optimizerTensors });
  }
  return { config: parseJsonEntry(metadata, 'config', name), extra: parseJsonEntry(metadata, 'extra', name) };
}

function prefixKeys<T>(prefix: string, record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [prefix + key, value]));
}

function parseJsonEntry(metadata: Record<string, string>, key: string, name: string): unknown {
  const text = metadata[key];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`checkpoint ${name}: metadata entry '${key}' is not valid JSON (${(error as Error).message})`);
  }
}
