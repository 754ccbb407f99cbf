// Shape arithmetic shared by the ops: sizes, strides and NumPy broadcasting.

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Returns the broadcast shape of several shapes, or throws an error naming the op and the shapes. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const shape of shapes) {
    const offset = rank - shape.length;
    shape.forEach((d, i) => {
      const o = out[offset + i];
      if (o === 1) out[offset + i] = d;
      else if (d !== 1 && d !== o) {
        throw new Error(
          `${op}: shapes ${shapes.map(formatShape).join(' and ')} cannot be broadcast (dim ${i - shape.length}: ${o} vs ${d})`,
        );
      }
    });
  }
  return out;
}

/** Strides to read `shape` as if expanded to `target` (0 along broadcast dims). */
export function broadcastStrides(shape: Shape, target: Shape): number[] {
  const own = stridesOf(shape);
  const offset = target.length - shape.length;
  return target.map((_, i) => {
    const d = i - offset;
    if (d < 0 || shape[d] === 1) return 0;
    return own[d];
  });
}

/**
 * Normalizes a possibly negative dim index, or throws naming the op. Rank 0 accepts
 * 0 and -1 as in PyTorch, so an op that indexes the shape must reject rank 0 itself.
 */
export function normalizeDim(op: string, dim: number, rank: number): number {
  const d = dim < 0 ? dim + Math.max(rank, 1) : dim;
  if (!Number.isInteger(dim) || d < 0 || d >= Math.max(rank, 1)) {
    throw new Error(`${op}: dim ${dim} is out of range for a tensor of rank ${rank}`);
  }
  return d;
}

export function normalizeDims(op: string, dims: number | number[] | undefined, rank: number): number[] {
  if (dims === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = (Array.isArray(dims) ? dims : [dims]).map((d) => normalizeDim(op, d, rank));
  if (new Set(list).size !== list.length) throw new Error(`${op}: repeated dim in ${JSON.stringify(dims)}`);
  return list.sort((a, b) => a - b);
}

export const MAX_RANK = 8;

export function checkRank(op: string, shape: Shape): void {
  if (shape.length > MAX_RANK) {
    throw new Error(`${op}: rank ${shape.length} ${formatShape(shape)} exceeds the maximum of ${MAX_RANK}`);
  }
}
