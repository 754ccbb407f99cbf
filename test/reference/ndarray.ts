// A tiny float64 ndarray on the CPU: the reference that the GPU ops are tested
// against. It is written for clarity, not speed: every op walks flat indices and
// converts them to coordinates, so shapes in tests should stay small.
// Semantics follow NumPy and PyTorch: broadcasting aligns trailing dims, negative
// dims count from the end, slices clamp like Python's.

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  return shape.reduce((n, d) => n * d, 1);
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

function coordsOf(index: number, shape: Shape): number[] {
  const coords = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    coords[d] = index % shape[d];
    index = Math.floor(index / shape[d]);
  }
  return coords;
}

function normDim(dim: number, rank: number): number {
  const d = dim < 0 ? dim + rank : dim;
  if (d < 0 || d >= rank) throw new Error(`reference: dim ${dim} out of range for rank ${rank}`);
  return d;
}

export function broadcastShape(...shapes: Shape[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const shape of shapes) {
    for (let i = 0; i < shape.length; i++) {
      const o = rank - shape.length + i;
      if (shape[i] === 1) continue;
      if (out[o] !== 1 && out[o] !== shape[i]) throw new Error(`reference: cannot broadcast ${shapes.map((s) => `[${s}]`).join(' ')}`);
      out[o] = shape[i];
    }
  }
  return out;
}

/** Flat index into `shape` of the element at `coords` of a broadcast target shape. */
function broadcastIndex(coords: number[], shape: Shape): number {
  const lead = coords.length - shape.length;
  let index = 0;
  for (let d = 0; d < shape.length; d++) index = index * shape[d] + (shape[d] === 1 ? 0 : coords[lead + d]);
  return index;
}

// Index maps depend only on shapes, and gradient checks evaluate the same op on the
// same shapes thousands of times, so they are cached.
const indexMaps = new Map<string, Int32Array>();

/** For each element of `target`, the flat index of the element of `shape` broadcast to it. */
function broadcastMap(shape: Shape, target: Shape): Int32Array {
  const key = `${shape}|${target}`;
  let map = indexMaps.get(key);
  if (map === undefined) {
    map = new Int32Array(sizeOf(target));
    for (let i = 0; i < map.length; i++) map[i] = broadcastIndex(coordsOf(i, target), shape);
    indexMaps.set(key, map);
  }
  return map;
}

export class NdArray {
  readonly shape: number[];
  readonly data: Float64Array;

  constructor(shape: Shape, data: Float64Array | number[]) {
    this.shape = [...shape];
    this.data = data instanceof Float64Array ? data : Float64Array.from(data);
    if (this.data.length !== sizeOf(shape)) throw new Error(`reference: [${shape}] needs ${sizeOf(shape)} values, got ${this.data.length}`);
  }

  static scalar(value: number): NdArray {
    return new NdArray([], [value]);
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  map(f: (v: number) => number): NdArray {
    return new NdArray(this.shape, this.data.map(f));
  }

  /** Elementwise f(this, other) with broadcasting. */
  zip(other: NdArray, f: (a: number, b: number) => number): NdArray {
    const shape = broadcastShape(this.shape, other.shape);
    const mapA = broadcastMap(this.shape, shape);
    const mapB = broadcastMap(other.shape, shape);
    const out = new Float64Array(sizeOf(shape));
    for (let i = 0; i < out.length; i++) out[i] = f(this.data[mapA[i]], other.data[mapB[i]]);
    return new NdArray(shape, out);
  }

  static where(cond: NdArray, a: NdArray, b: NdArray): NdArray {
    const shape = broadcastShape(cond.shape, a.shape, b.shape);
    const out = new Float64Array(sizeOf(shape));
    for (let i = 0; i < out.length; i++) {
      const c = coordsOf(i, shape);
      const taken = cond.data[broadcastIndex(c, cond.shape)] !== 0 ? a : b;
      out[i] = taken.data[broadcastIndex(c, taken.shape)];
    }
    return new NdArray(shape, out);
  }

  add(o: NdArray): NdArray { return this.zip(o, (a, b) => a + b); }
  sub(o: NdArray): NdArray { return this.zip(o, (a, b) => a - b); }
  mul(o: NdArray): NdArray { return this.zip(o, (a, b) => a * b); }
  div(o: NdArray): NdArray { return this.zip(o, (a, b) => a / b); }

  /** Folds the elements over `dims` (all when undefined) with f, starting from init. */
  reduce(dims: number | number[] | undefined, keepDim: boolean, init: number, f: (acc: number, v: number) => number): NdArray {
    const list = dims === undefined ? this.shape.map((_, d) => d) : (Array.isArray(dims) ? dims : [dims]).map((d) => normDim(d, this.rank));
    const keptShape = this.shape.map((s, d) => (list.includes(d) ? 1 : s));
    // Reading keptShape broadcast to this shape maps each element to its output.
    const target = broadcastMap(keptShape, this.shape);
    const out = new Float64Array(sizeOf(keptShape)).fill(init);
    for (let i = 0; i < this.size; i++) out[target[i]] = f(out[target[i]], this.data[i]);
    const shape = keepDim ? keptShape : this.shape.filter((_, d) => !list.includes(d));
    return new NdArray(shape, out);
  }

  sum(dims?: number | number[], keepDim = false): NdArray {
    return this.reduce(dims, keepDim, 0, (a, v) => a + v);
  }

  max(dims?: number | number[], keepDim = false): NdArray {
    return this.reduce(dims, keepDim, -Infinity, (a, v) => Math.max(a, v));
  }

  /** Number of elements folded into each output element by a reduction over `dims`. */
  countOver(dims?: number | number[]): number {
    if (dims === undefined) return this.size;
    return (Array.isArray(dims) ? dims : [dims]).reduce((n, d) => n * this.shape[normDim(d, this.rank)], 1);
  }

  mean(dims?: number | number[], keepDim = false): NdArray {
    const n = this.countOver(dims);
    return this.sum(dims, keepDim).map((v) => v / n);
  }

  /** Two-pass variance with divisor count - correction. */
  variance(dims?: number | number[], correction = 1, keepDim = false): NdArray {
    const n = this.countOver(dims);
    const centered = this.sub(this.mean(dims, true));
    return centered.mul(centered).sum(dims, keepDim).map((v) => v / (n - correction));
  }

  reshape(shape: Shape): NdArray {
    const known = sizeOf(shape.filter((d) => d !== -1));
    const target = shape.map((d) => (d === -1 ? this.size / known : d));
    return new NdArray(target, this.data.slice());
  }

  permute(dims: number[]): NdArray {
    const order = dims.map((d) => normDim(d, this.rank));
    const shape = order.map((d) => this.shape[d]);
    const strides = stridesOf(this.shape);
    const out = new Float64Array(this.size);
    for (let i = 0; i < out.length; i++) {
      const c = coordsOf(i, shape);
      let src = 0;
      for (let k = 0; k < order.length; k++) src += c[k] * strides[order[k]];
      out[i] = this.data[src];
    }
    return new NdArray(shape, out);
  }

  transpose(dim0: number, dim1: number): NdArray {
    const order = this.shape.map((_, i) => i);
    const a = normDim(dim0, this.rank);
    const b = normDim(dim1, this.rank);
    [order[a], order[b]] = [order[b], order[a]];
    return this.permute(order);
  }

  /** Python-style slice along one dim: negative indices count from the end, out-of-range ones clamp. */
  slice(dim: number, start: number, end?: number): NdArray {
    const d = normDim(dim, this.rank);
    const n = this.shape[d];
    const clampIndex = (i: number) => Math.min(Math.max(i < 0 ? i + n : i, 0), n);
    const s = clampIndex(start);
    const e = Math.max(clampIndex(end ?? n), s);
    const shape = this.shape.map((size, i) => (i === d ? e - s : size));
    const out = new Float64Array(sizeOf(shape));
    for (let i = 0; i < out.length; i++) {
      const c = coordsOf(i, shape);
      c[d] += s;
      out[i] = this.data[broadcastIndex(c, this.shape)];
    }
    return new NdArray(shape, out);
  }

  expand(shape: Shape): NdArray {
    const target = shape.map((d, i) => (d === -1 ? this.shape[i - (shape.length - this.rank)] : d));
    const out = new Float64Array(sizeOf(target));
    for (let i = 0; i < out.length; i++) out[i] = this.data[broadcastIndex(coordsOf(i, target), this.shape)];
    return new NdArray(target, out);
  }

  static concat(parts: NdArray[], dim: number): NdArray {
    const d = normDim(dim, parts[0].rank);
    const shape = parts[0].shape.map((s, i) => (i === d ? parts.reduce((n, p) => n + p.shape[d], 0) : s));
    const out = new Float64Array(sizeOf(shape));
    for (let i = 0; i < out.length; i++) {
      const c = coordsOf(i, shape);
      let k = 0;
      while (c[d] >= parts[k].shape[d]) c[d] -= parts[k++].shape[d];
      out[i] = parts[k].data[broadcastIndex(c, parts[k].shape)];
    }
    return new NdArray(shape, out);
  }

  /** NumPy matmul: 1D operands become a row (left) or column (right), batch dims broadcast. */
  matmul(other: NdArray): NdArray {
    const a = this.rank === 1 ? this.reshape([1, this.size]) : this;
    const b = other.rank === 1 ? other.reshape([other.size, 1]) : other;
    const [m, k] = a.shape.slice(-2);
    const [k2, n] = b.shape.slice(-2);
    if (k !== k2) throw new Error(`reference matmul: ${k} != ${k2}`);
    const batch = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const out = new Float64Array(sizeOf(batch) * m * n);
    for (let bi = 0; bi < sizeOf(batch); bi++) {
      const c = coordsOf(bi, batch);
      const aBase = broadcastIndex(c, a.shape.slice(0, -2)) * m * k;
      const bBase = broadcastIndex(c, b.shape.slice(0, -2)) * k * n;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let t = 0; t < k; t++) s += a.data[aBase + i * k + t] * b.data[bBase + t * n + j];
          out[bi * m * n + i * n + j] = s;
        }
      }
    }
    let shape = [...batch, m, n];
    if (this.rank === 1) shape = shape.filter((_, i) => i !== shape.length - 2);
    if (other.rank === 1) shape = shape.slice(0, -1);
    return new NdArray(shape, out);
  }

  softmax(dim: number): NdArray {
    const shifted = this.sub(this.max(dim, true));
    const e = shifted.map(Math.exp);
    return e.div(e.sum(dim, true));
  }

  logSoftmax(dim: number): NdArray {
    const shifted = this.sub(this.max(dim, true));
    return shifted.sub(shifted.map(Math.exp).sum(dim, true).map(Math.log));
  }
}
