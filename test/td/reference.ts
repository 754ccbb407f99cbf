// float64 reference of the distillation losses, forward only, on weights read back
// from the GPU. It follows the algorithm as written, independent of src/td.

export interface Mat {
  rows: number;
  cols: number;
  data: Float64Array;
}

export type Params = Record<string, Float64Array>;

export function mat(data: ArrayLike<number>, rows: number, cols: number): Mat {
  if (data.length !== rows * cols) throw new Error(`mat: ${data.length} values for ${rows}x${cols}`);
  return { rows, cols, data: Float64Array.from(data) };
}

function map(a: Mat, f: (v: number) => number): Mat {
  return { ...a, data: a.data.map(f) };
}

/** x W + b for W [in, out] and b [out]. */
export function dense(x: Mat, w: Float64Array, b: Float64Array, out: number): Mat {
  const y = new Float64Array(x.rows * out);
  for (let i = 0; i < x.rows; i++) {
    for (let j = 0; j < out; j++) {
      let s = b[j];
      for (let k = 0; k < x.cols; k++) s += x.data[i * x.cols + k] * w[k * out + j];
      y[i * out + j] = s;
    }
  }
  return mat(y, x.rows, out);
}

export const relu = (a: Mat) => map(a, (v) => Math.max(v, 0));
export const tanh = (a: Mat) => map(a, Math.tanh);

/** Row-wise layer norm with biased variance and eps 1e-5, then gamma and beta. */
export function layerNorm(x: Mat, gamma: Float64Array, beta: Float64Array, eps = 1e-5): Mat {
  const y = new Float64Array(x.data.length);
  for (let i = 0; i < x.rows; i++) {
    const row = x.data.subarray(i * x.cols, (i + 1) * x.cols);
    const mean = row.reduce((a, b) => a + b, 0) / x.cols;
    const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / x.cols;
    for (let j = 0; j < x.cols; j++) y[i * x.cols + j] = ((row[j] - mean) / Math.sqrt(variance + eps)) * gamma[j] + beta[j];
  }
  return mat(y, x.rows, x.cols);
}

export function concatCols(a: Mat, b: Mat): Mat {
  const cols = a.cols + b.cols;
  const y = new Float64Array(a.rows * cols);
  for (let i = 0; i < a.rows; i++) {
    y.set(a.data.subarray(i * a.cols, (i + 1) * a.cols), i * cols);
    y.set(b.data.subarray(i * b.cols, (i + 1) * b.cols), i * cols + a.cols);
  }
  return mat(y, a.rows, cols);
}

export function sliceCols(a: Mat, start: number, end: number): Mat {
  const cols = end - start;
  const y = new Float64Array(a.rows * cols);
  for (let i = 0; i < a.rows; i++) y.set(a.data.subarray(i * a.cols + start, i * a.cols + end), i * cols);
  return mat(y, a.rows, cols);
}

export function mse(a: Mat, b: Mat): number {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += (a.data[i] - b.data[i]) ** 2;
  return s / a.data.length;
}

/** T^2 * mean over rows of KL(softmax(teacher / T) || softmax(student / T)). */
export function klDistill(student: Mat, teacher: Mat, temperature: number): number {
  let total = 0;
  for (let i = 0; i < student.rows; i++) {
    const logSoftmax = (m: Mat) => {
      const row = Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols), (v) => v / temperature);
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
      return row.map((v) => v - lse);
    };
    const p = logSoftmax(teacher);
    const q = logSoftmax(student);
    for (let c = 0; c < p.length; c++) total += Math.exp(p[c]) * (p[c] - q[c]);
  }
  return (temperature * temperature * total) / student.rows;
}

export interface TinyRef {
  lower(x: Mat): Mat;
  upper(s: Mat): Mat;
  head(e: Mat): Mat;
  s: number;
  e: number;
}

/** Returns the float64 version of TinyModel (test/td/fixtures.ts). */
export function tinyRef(p: Params, sizes: { s: number; e: number; out: number }): TinyRef {
  return {
    lower: (x) => relu(dense(x, p.w1, p.b1, sizes.s)),
    upper: (s) => tanh(dense(s, p.w2, p.b2, sizes.e)),
    head: (e) => dense(e, p.w3, p.b3, Math.max(sizes.out, 1)),
    s: sizes.s,
    e: sizes.e,
  };
}

/** LayerNorm, dense + ReLU, dense: the encoder and decoder block with dropout off. */
export function block(p: Params, x: Mat): Mat {
  const hidden = p['block.dense1.bias'].length;
  const out = p['block.dense2.bias'].length;
  const h = relu(dense(layerNorm(x, p['block.norm.weight'], p['block.norm.bias']), p['block.dense1.weight'], p['block.dense1.bias'], hidden));
  return dense(h, p['block.dense2.weight'], p['block.dense2.bias'], out);
}

export interface TdRefOptions {
  rounds: number;
  wInteract: number;
  wSC: number;
  wMC: number;
  interactCovers: 'both' | 'e';
}

export interface TdRefModules {
  studentEncoder: Params;
  teacherEncoder: Params;
  studentDecoder: Params;
  teacherDecoder: Params;
}

/** TD loss parts for one batch (MSE distance, mean reduction, no noise, no dropout). */
export function tdReference(
  x: Mat,
  y: Mat,
  student: TinyRef,
  teacher: TinyRef,
  m: TdRefModules,
  o: TdRefOptions,
): Record<string, number> {
  const sg = student.lower(x);
  const eg = student.upper(sg);
  const task = mse(student.head(eg), y);
  const stateG = concatCols(sg, eg);
  const mg0 = block(m.studentEncoder, stateG);
  const sh = teacher.lower(x);
  const eh = teacher.upper(sh);
  const stateH = concatCols(sh, eh);
  const mh0 = block(m.teacherEncoder, stateH);
  const messageConsistency = mse(mg0, mh0);
  const stateConsistency = mse(stateG, block(m.studentDecoder, mh0)) + mse(stateH, block(m.teacherDecoder, mg0));

  let interact = 0;
  let current = stateG;
  let message = mg0;
  for (let i = 0; i < o.rounds; i++) {
    const shPrime = sliceCols(block(m.teacherDecoder, message), 0, teacher.s);
    const answer = block(m.teacherEncoder, concatCols(shPrime, teacher.upper(shPrime)));
    const decoded = block(m.studentDecoder, answer);
    interact +=
      o.interactCovers === 'both'
        ? mse(current, decoded)
        : mse(sliceCols(current, student.s, student.s + student.e), sliceCols(decoded, student.s, student.s + student.e));
    const sgPrime = sliceCols(decoded, 0, student.s);
    current = concatCols(sgPrime, student.upper(sgPrime));
    message = block(m.studentEncoder, current);
  }
  const total = task + o.wSC * stateConsistency + o.wMC * messageConsistency + o.wInteract * interact;
  return { total, task, stateConsistency, messageConsistency, interact };
}
