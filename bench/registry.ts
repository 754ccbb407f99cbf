// Registry of benchmarked kernels. Each op family (matmul, attention, ...) has a
// default variant that calls the library op. A kernel developer registers another
// WGSL implementation of the same op with `registerVariant`, in a file under
// bench/variants/ that bench/variants/index.ts imports. The bench checks every
// variant against the family's float64 reference on a small shape before timing it.

import type { Tensor } from '../src/tensor/tensor.js';

export type FamilyName = 'matmul' | 'attention' | 'layerNorm' | 'softmax' | 'crossEntropy';

export interface KernelVariant {
  family: FamilyName;
  name: string;
  description: string;
  /**
   * Records one call of the op on the family's inputs and returns its output (see
   * each family for the input order, e.g. [a, b] for matmul). For backward timing
   * the output must carry the gradient function, as the library ops do.
   */
  run: (inputs: Tensor[]) => Tensor;
}

export type Pass = 'forward' | 'backward';

export interface BenchCase {
  /** Shape label, e.g. "1024x1024x1024" or "[8,12,197,64]". */
  label: string;
  passes: Pass[];
  /** Inputs for one run; `requiresGrad` inputs for the backward pass. */
  makeInputs: (requiresGrad: boolean) => Tensor[];
  /** Work of one run per pass, for GFLOP/s or GB/s. */
  flops?: Record<Pass, number>;
  bytes?: Record<Pass, number>;
  /** Timed runs; big shapes use fewer. */
  reps: number;
  warmup: number;
}

export interface Family {
  name: FamilyName;
  /** Formula of the figure of merit, printed with the results. */
  workModel: string;
  cases: (quick: boolean) => BenchCase[];
  /** Compares a variant with the float64 reference on a small shape; returns null or the failure. */
  check: (variant: KernelVariant) => Promise<string | null>;
}

const variants: KernelVariant[] = [];

export function registerVariant(variant: KernelVariant): void {
  if (variants.some((v) => v.name === variant.name)) {
    throw new Error(`bench: a variant named '${variant.name}' is already registered; pick another name`);
  }
  variants.push(variant);
}

export function variantsOf(family: FamilyName): KernelVariant[] {
  return variants.filter((v) => v.family === family);
}

export function allVariants(): readonly KernelVariant[] {
  return variants;
}
