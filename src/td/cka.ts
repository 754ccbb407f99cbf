// Linear centered kernel alignment (CKA), after Kornblith, Norouzi, Lee and Hinton
// (2019), "Similarity of neural network representations revisited".
//
// For features X (n x dx) and Y (n x dy) of the same n examples, with every column
// centered:
//   CKA = ||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F)
//       = <X X^T, Y Y^T>_F / (||X X^T||_F ||Y Y^T||_F)   (the centered Gram form)
// Both forms are the same number. The feature form costs about n (dx dy + dx^2 + dy^2)
// and the Gram form about n^2 (dx + dy), so `linearCka` picks the cheaper one.
// Everything runs in float64 on the CPU: the inputs are small (tens of examples per
// class) and f32 accumulation over long feature vectors loses digits.

/** n examples (rows) by d features (columns), row-major. */
export interface FeatureMatrix {
  rows: number;
  cols: number;
  values: ArrayLike<number>;
}

export type CkaForm = 'auto' | 'gram' | 'feature';

export interface CkaOptions {
  /** Formula to evaluate (both give the same value); 'auto' (default) picks the cheaper one. */
  form?: CkaForm;
}

/** Wraps row-major values as an n x d feature matrix, checking the length. */
export function featureMatrix(values: ArrayLike<number>, rows: number, cols: number): FeatureMatrix {
  if (values.length !== rows * cols) {
    throw new Error(`featureMatrix: ${values.length} values do not fill ${rows} x ${cols} (${rows * cols} expected)`);
  }
  return { rows, cols, values };
}

/** Returns a float64 copy of `x` with every column's mean subtracted. */
export function centerColumns(x: FeatureMatrix): Float64Array {
  const { rows, cols } = x;
  const out = Float64Array.from(x.values);
  const means = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) means[j] += out[i * cols + j];
  for (let j = 0; j < cols; j++) means[j] /= rows;
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] -= means[j];
  return out;
}

/** Squared Frobenius norm of A^T B for row-major A (n x da) and B (n x db). */
function crossProductNormSquared(a: Float64Array, da: number, b: Float64Array, db: number, n: number): number {
  const product = new Float64Array(da * db);
  for (let i = 0; i < n; i++) {
    const aRow = i * da;
    const bRow = i * db;
    for (let p = 0; p < da; p++) {
      const v = a[aRow + p];
      if (v === 0) continue;
      const out = p * db;
      for (let q = 0; q < db; q++) product[out + q] += v * b[bRow + q];
    }
  }
  let sum = 0;
  for (let k = 0; k < product.length; k++) sum += product[k] * product[k];
  return sum;
}

/** Gram matrix A A^T (n x n) of row-major A (n x d). */
function gram(a: Float64Array, d: number, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += a[i * d + k] * a[j * d + k];
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
  }
  return out;
}

function frobeniusInner(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k] * b[k];
  return s;
}

/**
 * Computes linear CKA between two representations of the same examples. Returns NaN
 * when either representation is constant over the examples (CKA is 0/0 there).
 */
export function linearCka(x: FeatureMatrix, y: FeatureMatrix, options: CkaOptions = {}): number {
  if (x.rows !== y.rows) {
    throw new Error(`linearCka: the representations cover different numbers of examples (${x.rows} != ${y.rows})`);
  }
  if (x.rows < 2) throw new Error(`linearCka: needs at least 2 examples, got ${x.rows}`);
  const n = x.rows;
  const xc = centerColumns(x);
  const yc = centerColumns(y);

  const featureCost = n * (x.cols * y.cols + x.cols * x.cols + y.cols * y.cols);
  const gramCost = n * n * (x.cols + y.cols);
  const form = options.form ?? 'auto';
  const useFeature = form === 'feature' || (form === 'auto' && featureCost <= gramCost);

  let cross: number;
  let selfX: number;
  let selfY: number;
  if (useFeature) {
    cross = crossProductNormSquared(yc, y.cols, xc, x.cols, n);
    selfX = Math.sqrt(crossProductNormSquared(xc, x.cols, xc, x.cols, n));
    selfY = Math.sqrt(crossProductNormSquared(yc, y.cols, yc, y.cols, n));
  } else {
    // Centered columns give centered Gram matrices, so no H K H step is needed.
    const kx = gram(xc, x.cols, n);
    const ky = gram(yc, y.cols, n);
    cross = frobeniusInner(kx, ky);
    selfX = Math.sqrt(frobeniusInner(kx, kx));
    selfY = Math.sqrt(frobeniusInner(ky, ky));
  }
  if (selfX === 0 || selfY === 0) return Number.NaN;
  return cross / (selfX * selfY);
}
