// Per-example cache of the frozen teacher's outputs s_h, e_h and y_h on a fixed
// dataset. The teacher's weights never change during distillation, so in eval mode its
// outputs for an example stay the same. The cache lets later epochs skip the teacher's
// forward pass on x. Rows live on the CPU as float32, so the cache costs
// 4 bytes per element of s_h, e_h and y_h per example.

import { tensor } from '../ops/create.js';
import type { Tensor } from '../tensor/tensor.js';

/** The teacher's outputs on a batch; y is absent when the method does not need it. */
export interface TeacherOutputs {
  s: Tensor;
  e: Tensor;
  y: Tensor | null;
}

interface CachedRow {
  s: Float32Array;
  e: Float32Array;
  y: Float32Array | null;
}

interface RowShapes {
  s: number[];
  e: number[];
  y: number[] | null;
}

export class TeacherCache {
  private readonly rows = new Map<number, CachedRow>();
  private shapes: RowShapes | null = null;

  get size(): number {
    return this.rows.size;
  }

  /** True when every example of `indices` is cached. */
  has(indices: ArrayLike<number>): boolean {
    for (let i = 0; i < indices.length; i++) if (!this.rows.has(indices[i])) return false;
    return true;
  }

  /** Reads back a batch's outputs and stores the rows of examples not yet cached. */
  async store(indices: ArrayLike<number>, outputs: TeacherOutputs): Promise<void> {
    const batch = indices.length;
    for (const [name, t] of [['s', outputs.s], ['e', outputs.e], ['y', outputs.y]] as const) {
      if (t !== null && t.shape[0] !== batch) {
        throw new Error(`TeacherCache: teacher output ${name} has ${t.shape[0]} rows but the batch has ${batch} indices`);
      }
    }
    const shapes: RowShapes = {
      s: outputs.s.shape.slice(1),
      e: outputs.e.shape.slice(1),
      y: outputs.y === null ? null : outputs.y.shape.slice(1),
    };
    this.checkShapes(shapes);
    const [s, e, y] = await Promise.all([outputs.s.data(), outputs.e.data(), outputs.y?.data() ?? null]);
    const rowOf = (values: Float32Array, i: number) => {
      const width = values.length / batch;
      return values.slice(i * width, (i + 1) * width);
    };
    for (let i = 0; i < batch; i++) {
      if (this.rows.has(indices[i])) continue;
      this.rows.set(indices[i], { s: rowOf(s, i), e: rowOf(e, i), y: y === null ? null : rowOf(y, i) });
    }
  }

  private checkShapes(shapes: RowShapes): void {
    if (this.shapes === null) {
      this.shapes = shapes;
      return;
    }
    const same = (a: number[] | null, b: number[] | null) => (a === null ? b === null : b !== null && a.join() === b.join());
    if (!same(this.shapes.s, shapes.s) || !same(this.shapes.e, shapes.e) || !same(this.shapes.y, shapes.y)) {
      throw new Error(
        `TeacherCache: per-example shapes changed from ${JSON.stringify(this.shapes)} to ${JSON.stringify(shapes)}; a cache needs fixed shapes (e.g. a fixed token count)`,
      );
    }
  }

  /** Uploads the cached outputs of a batch (every index must be cached). */
  get(indices: ArrayLike<number>): TeacherOutputs {
    if (this.shapes === null) throw new Error('TeacherCache: the cache is empty; store a batch first');
    const shapes = this.shapes;
    const rows: CachedRow[] = [];
    for (let i = 0; i < indices.length; i++) {
      const row = this.rows.get(indices[i]);
      if (row === undefined) throw new Error(`TeacherCache: example ${indices[i]} is not cached`);
      rows.push(row);
    }
    const gather = (pick: (row: CachedRow) => Float32Array, shape: number[]) => {
      const width = pick(rows[0]).length;
      const values = new Float32Array(rows.length * width);
      rows.forEach((row, i) => values.set(pick(row), i * width));
      return tensor(values, { shape: [rows.length, ...shape] });
    };
    return {
      s: gather((r) => r.s, shapes.s),
      e: gather((r) => r.e, shapes.e),
      y: shapes.y === null ? null : gather((r) => r.y as Float32Array, shapes.y),
    };
  }

  clear(): void {
    this.rows.clear();
    this.shapes = null;
  }
}
