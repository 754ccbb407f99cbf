// Reverse-mode autodiff on a define-by-run tape.
//
// Each op that has an input with requiresGrad attaches a GradNode to its output: the
// op's name, its inputs and a closure that maps the output gradient to one gradient
// per input. `backward` orders the graph topologically, walks it in reverse, and
// accumulates each tensor's gradient once before passing it on.

import { keep, tidy } from '../tensor/scope.js';
import { formatShape, sameShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { inPhase, recordAnomalyChecks } from './anomaly.js';
import { isGradEnabled, noGrad } from './grad-mode.js';

export interface GradNode {
  op: string;
  inputs: Tensor[];
  /** Returns d(loss)/d(input) for each input (null where no gradient is needed). */
  backward: (grad: Tensor) => (Tensor | null)[];
}

/** Attaches a backward function to `out` when gradients are on and an input needs one. */
export function record(out: Tensor, op: string, inputs: Tensor[], backward: GradNode['backward']): Tensor {
  // The op has recorded the kernels that write its outputs, so they can be scanned now.
  recordAnomalyChecks();
  if (isGradEnabled() && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.gradFn = { op, inputs, backward };
  }
  return out;
}

export interface BackwardOptions {
  /** Keep the graph so backward can run through it again. */
  retainGraph?: boolean;
}

function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // Iterative DFS: deep graphs (long training loops unrolled over rounds) must not overflow the stack.
  const stack: [Tensor, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [t, next] = top;
    const inputs = t.gradFn?.inputs ?? [];
    if (next < inputs.length) {
      top[1]++;
      const input = inputs[next];
      if (input.requiresGrad && !visited.has(input)) {
        visited.add(input);
        stack.push([input, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}

/**
 * Computes gradients of `root` with respect to every leaf tensor with requiresGrad
 * and adds them to the leaves' `.grad`. `grad` defaults to 1 for a one-element root.
 */
export function backward(root: Tensor, grad: Tensor | undefined, options: BackwardOptions = {}): void {
  if (!root.requiresGrad) {
    throw new Error('backward: the tensor does not require grad (no input of its graph has requiresGrad)');
  }
  if (grad === undefined && root.size !== 1) {
    throw new Error(
      `backward: grad can be implied only for a one-element output, got shape ${formatShape(root.shape)}; pass a gradient of the same shape`,
    );
  }
  if (grad !== undefined && !sameShape(grad.shape, root.shape)) {
    throw new Error(`backward: gradient shape ${formatShape(grad.shape)} differs from output shape ${formatShape(root.shape)}`);
  }

  const order = topologicalOrder(root);
  inPhase('backward', () => walkBackward(root, grad, order, options));
}

function walkBackward(root: Tensor, grad: Tensor | undefined, order: Tensor[], options: BackwardOptions): void {
  tidy(() =>
    noGrad(() => {
      const grads = new Map<Tensor, Tensor>();
      const leafGrads: Tensor[] = [];
      grads.set(root, grad ?? root.onesLike());

      for (let i = order.length - 1; i >= 0; i--) {
        const t = order[i];
        const g = grads.get(t);
        if (g === undefined) continue;
        const node = t.gradFn;
        if (node === null) {
          leafGrads.push(keep(accumulateLeaf(t, g)));
          continue;
        }
        const inputGrads = inPhase(`backward of ${node.op}`, () => node.backward(g));
        node.inputs.forEach((input, k) => {
          const gi = inputGrads[k];
          if (gi === null || gi === undefined || !input.requiresGrad) return;
          if (!sameShape(gi.shape, input.shape)) {
            throw new Error(
              `backward of ${node.op}: gradient shape ${formatShape(gi.shape)} does not match input shape ${formatShape(input.shape)} (input ${k}); this is a bug in the op`,
            );
          }
          const previous = grads.get(input);
          grads.set(input, previous === undefined ? gi : previous.add(gi));
        });
        if (!options.retainGraph) t.gradFn = freedNode(node.op);
      }
    }),
  );
}

/**
 * Replaces a node whose backward has run. It keeps the tensor a non-leaf (a null
 * gradFn would make a second backward treat it as a leaf and silently give the
 * real leaves no gradient) but drops the inputs and saved tensors.
 */
function freedNode(op: string): GradNode {
  return {
    op,
    inputs: [],
    backward: () => {
      throw new Error(
        `backward: the graph through ${op} was already freed by an earlier backward; pass { retainGraph: true } to that call to run backward twice`,
      );
    },
  };
}

/** Disposes the `.grad` of each tensor and sets it to null. */
export function zeroGrad(tensors: Iterable<Tensor>): void {
  for (const t of tensors) t.zeroGrad();
}

function accumulateLeaf(leaf: Tensor, g: Tensor): Tensor {
  const previous = leaf.grad;
  const next = previous === null ? g.clone() : previous.add(g);
  previous?.dispose();
  leaf.grad = next;
  return next;
}
