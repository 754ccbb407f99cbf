// Checkpoint files in Node: the byte formats of checkpoint.ts, written atomically.

import { readFile } from 'node:fs/promises';

import type { LoadStateDictOptions, LoadStateDictResult, Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import {
  decodeModelCheckpoint,
  decodeTrainingCheckpoint,
  encodeModelCheckpoint,
  encodeTrainingCheckpoint,
  type DecodedModelCheckpoint,
  type RestoredTraining,
  type TrainingCheckpoint,
} from './checkpoint.js';
import { writeFileAtomic } from './files-node.js';

/** Writes a model's state dict and JSON config to a safetensors file. */
export async function saveModel(path: string, model: Module, config?: unknown): Promise<void> {
  await writeFileAtomic(path, await encodeModelCheckpoint(model, config));
}

/** Reads a model checkpoint without loading it, e.g. to build the model from its config first. */
export async function readModelCheckpoint(path: string): Promise<DecodedModelCheckpoint> {
  return decodeModelCheckpoint(await readBytes(path), path);
}

/** Loads a model checkpoint into `model` and returns the stored config with the skipped keys. */
export async function loadModel(
  path: string,
  model: Module,
  options: LoadStateDictOptions = {},
): Promise<LoadStateDictResult & { config: unknown }> {
  const checkpoint = await readModelCheckpoint(path);
  return { ...model.loadStateDict(checkpoint.stateDict, options), config: checkpoint.config };
}

export async function saveTrainingCheckpoint(path: string, checkpoint: TrainingCheckpoint): Promise<void> {
  await writeFileAtomic(path, await encodeTrainingCheckpoint(checkpoint));
}

export async function loadTrainingCheckpoint(
  path: string,
  target: { model: Module; optimizer?: Optimizer },
): Promise<RestoredTraining> {
  return decodeTrainingCheckpoint(await readBytes(path), path, target);
}

async function readBytes(path: string): Promise<Uint8Array> {
  const buffer = await readFile(path);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
