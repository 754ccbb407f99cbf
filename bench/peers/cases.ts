// Peer benchmark cases, taken from the kernel benchmark's families so both benches
// time the same shapes: the family builds its seeded talkgrad inputs, and this reads
// them back once so that every library receives the same values.

import { attentionFamily } from '../family-attention.js';
import { matmulFamily } from '../family-matmul.js';
import { rowFamilies } from '../family-rows.js';
import { randomArray } from '../inputs.js';
import type { BenchCase, Family } from '../registry.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import type { HostTensor, OpKind, PeerCase, PeerPass } from './peer.js';

export type CaseGroup = 'matmul' | 'attention' | 'rows';

async function readHost(t: Tensor): Promise<HostTensor> {
  const values = t.dtype === 'int32' ? await t.dataInt32() : await t.data();
  return { shape: [...t.shape], values };
}

function outputShape(op: OpKind, inputs: HostTensor[]): number[] {
  if (op === 'matmul') return [inputs[0].shape[0], inputs[1].shape[1]];
  if (op === 'crossEntropy') return [];
  return inputs[0].shape;
}

/** Adds the family's backward work to its forward work for the forward+backward figure. */
function perPass(work: Record<'forward' | 'backward', number> | undefined): Record<PeerPass, number> | undefined {
  if (work === undefined) return undefined;
  return { forward: work.forward, 'forward+backward': work.forward + work.backward };
}

async function fromBenchCase(op: OpKind, c: BenchCase, seed: number): Promise<PeerCase> {
  const tensors = c.makeInputs(false);
  const inputs = await Promise.all(tensors.map(readHost));
  for (const t of tensors) t.dispose();
  const dyShape = outputShape(op, inputs);
  const dyCount = dyShape.reduce((a, b) => a * b, 1);
  const passes: PeerPass[] = c.passes.includes('backward') ? ['forward', 'forward+backward'] : ['forward'];
  return {
    op,
    label: c.label,
    inputs,
    dy: { shape: dyShape, values: randomArray(dyCount, -1, 1, seed) },
    passes,
    flops: perPass(c.flops),
    bytes: perPass(c.bytes),
    warmup: Math.max(c.warmup, 1),
    reps: c.reps,
  };
}

/** Returns the cases of the selected groups. It reads talkgrad tensors, so init() must have run. */
export async function peerCases(groups: CaseGroup[], quick: boolean): Promise<PeerCase[]> {
  const families: Family[] = [];
  if (groups.includes('matmul')) families.push(matmulFamily);
  if (groups.includes('attention')) families.push(attentionFamily);
  if (groups.includes('rows')) families.push(...rowFamilies());

  const cases: PeerCase[] = [];
  let seed = 700;
  for (const family of families) {
    for (const c of family.cases(quick)) cases.push(await fromBenchCase(family.name, c, seed++));
  }
  return cases;
}
