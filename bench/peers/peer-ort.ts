// ONNX Runtime Web (WebGPU execution provider) in the peer benchmark. Each case is a
// small ONNX graph built in memory. Inputs and outputs stay in GPU buffers on ORT's
// own device ('gpu-buffer' location), so no upload or read-back is timed. ORT Web has
// no backward pass, so it runs forward cases only.

import type * as OrtWeb from 'onnxruntime-web';
import { onnxModel, type OnnxGraph } from './onnx-model.js';
import { readF32, sizeOf, type HostTensor, type Peer, type PeerCase, type PreparedRun } from './peer.js';

type Ort = typeof OrtWeb;

/** A graph with the values to feed, in the order of its inputs. */
interface CaseGraph {
  graph: OnnxGraph;
  feeds: HostTensor[];
  outputShape: number[];
  /** Converts the fetched output to the layout of talkgrad's output, for the check. */
  toReference?: (values: Float32Array) => Float32Array;
}

/** [B, H, L, D] to [B, L, H * D] and back: the 3-D layout of MultiHeadAttention. */
function headsToTokens(values: Float32Array, [b, h, l, d]: number[], inverse: boolean): Float32Array {
  const out = new Float32Array(values.length);
  for (let bi = 0; bi < b; bi++) {
    for (let hi = 0; hi < h; hi++) {
      for (let li = 0; li < l; li++) {
        const heads = ((bi * h + hi) * l + li) * d;
        const tokens = ((bi * l + li) * h + hi) * d;
        for (let di = 0; di < d; di++) {
          if (inverse) out[heads + di] = values[tokens + di];
          else out[tokens + di] = values[heads + di];
        }
      }
    }
  }
  return out;
}

function value(name: string, shape: number[]): { name: string; shape: number[] } {
  return { name, shape };
}

/** Builds the composed graph of a case, or the fused com.microsoft MultiHeadAttention one. */
function caseGraph(c: PeerCase, fused: boolean): CaseGraph {
  const [x] = c.inputs;
  switch (c.op) {
    case 'matmul': {
      const [a, b] = c.inputs;
      const outputShape = [a.shape[0], b.shape[1]];
      const graph: OnnxGraph = {
        nodes: [{ op: 'MatMul', inputs: ['a', 'b'], outputs: ['y'] }],
        inputs: [value('a', a.shape), value('b', b.shape)],
        outputs: [value('y', outputShape)],
      };
      return { graph, feeds: [a, b], outputShape };
    }
    case 'attention': {
      const shape = x.shape;
      const [batch, heads, tokens, headDim] = shape;
      if (fused) {
        // NOTE: at [8,12,197,64] this node's output differed from talkgrad's, tfjs's and the
        // composed ORT graph's by about 7e-3 on lavapipe, so the check rejects it. Cause unknown.
        const flat = [batch, tokens, heads * headDim];
        const graph: OnnxGraph = {
          nodes: [{ op: 'MultiHeadAttention', domain: 'com.microsoft', inputs: ['q', 'k', 'v'], outputs: ['y'], attributes: { num_heads: heads } }],
          inputs: [value('q', flat), value('k', flat), value('v', flat)],
          outputs: [value('y', flat)],
        };
        const feeds = c.inputs.map((h) => ({ shape: flat, values: headsToTokens(h.values as Float32Array, shape, false) }));
        return { graph, feeds, outputShape: flat, toReference: (v) => headsToTokens(v, shape, true) };
      }
      const graph: OnnxGraph = {
        nodes: [
          { op: 'Transpose', inputs: ['k'], outputs: ['kt'], attributes: { perm: [0, 1, 3, 2] } },
          { op: 'MatMul', inputs: ['q', 'kt'], outputs: ['s'] },
          { op: 'Mul', inputs: ['s', 'scale'], outputs: ['scaled'] },
          { op: 'Softmax', inputs: ['scaled'], outputs: ['p'], attributes: { axis: -1 } },
          { op: 'MatMul', inputs: ['p', 'v'], outputs: ['y'] },
        ],
        inputs: [value('q', shape), value('k', shape), value('v', shape)],
        outputs: [value('y', shape)],
        initializers: [{ name: 'scale', shape: [], values: Float32Array.of(1 / Math.sqrt(headDim)) }],
      };
      return { graph, feeds: c.inputs, outputShape: shape };
    }
    case 'layerNorm': {
      const [, w, b] = c.inputs;
      const graph: OnnxGraph = {
        nodes: [{ op: 'LayerNormalization', inputs: ['x', 'w', 'b'], outputs: ['y'], attributes: { axis: -1, epsilon: { float: 1e-5 } } }],
        inputs: [value('x', x.shape), value('w', w.shape), value('b', b.shape)],
        outputs: [value('y', x.shape)],
      };
      return { graph, feeds: c.inputs, outputShape: x.shape };
    }
    case 'softmax': {
      const graph: OnnxGraph = {
        nodes: [{ op: 'Softmax', inputs: ['x'], outputs: ['y'], attributes: { axis: -1 } }],
        inputs: [value('x', x.shape)],
        outputs: [value('y', x.shape)],
      };
      return { graph, feeds: [x], outputShape: x.shape };
    }
    case 'crossEntropy': {
      // -sum(onehot * log(softmax(x))) / N, with the one-hot labels fed as f32. The
      // WebGPU provider of ORT 1.31 has no LogSoftmax kernel, hence Softmax then Log.
      const [rows, classes] = x.shape;
      const targets = c.inputs[1].values;
      const onehot = new Float32Array(rows * classes);
      for (let r = 0; r < rows; r++) onehot[r * classes + targets[r]] = 1;
      const graph: OnnxGraph = {
        nodes: [
          { op: 'Softmax', inputs: ['x'], outputs: ['p'], attributes: { axis: -1 } },
          { op: 'Log', inputs: ['p'], outputs: ['logp'] },
          { op: 'Mul', inputs: ['logp', 'onehot'], outputs: ['picked'] },
          { op: 'ReduceSum', inputs: ['picked'], outputs: ['total'], attributes: { keepdims: 0 } },
          { op: 'Mul', inputs: ['total', 'scale'], outputs: ['y'] },
        ],
        inputs: [value('x', x.shape), value('onehot', x.shape)],
        outputs: [value('y', [])],
        initializers: [{ name: 'scale', shape: [], values: Float32Array.of(-1 / rows) }],
      };
      return { graph, feeds: [x, { shape: x.shape, values: onehot }], outputShape: [] };
    }
  }
}

/** Loads the WebGPU build of ONNX Runtime Web; returns its composed-graph peer and its fused-attention peer. */
export async function loadOrt(version: string): Promise<{ composed: Peer; fused: Peer; ort: Ort }> {
  const ort = (await import('onnxruntime-web/webgpu')) as unknown as Ort;
  // One wasm thread: the machine has 2 cores and the GPU work runs on lavapipe's threads.
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
  return {
    ort,
    composed: { name: 'ort', version, prepare: (c, pass) => prepare(ort, c, pass, false) },
    fused: { name: 'ort-fused', version, prepare: (c, pass) => prepare(ort, c, pass, true) },
  };
}

async function prepare(ort: Ort, c: PeerCase, pass: string, fused: boolean): Promise<PreparedRun> {
  if (pass !== 'forward') throw new Error('not run: ONNX Runtime Web has no backward pass');
  if (fused && c.op !== 'attention') throw new Error(`not run: no fused ${c.op} graph`);
  const { graph, feeds, outputShape, toReference } = caseGraph(c, fused);
  const session = await ort.InferenceSession.create(onnxModel(graph), {
    executionProviders: ['webgpu'],
    preferredOutputLocation: 'gpu-buffer',
    // Session creation fails instead of silently running a node on the wasm CPU provider.
    extra: { session: { disable_cpu_ep_fallback: '1' } },
  });
  // Typed as a promise in onnxruntime-common 1.31; the WebGPU build stores the device itself.
  const device = (await ort.env.webgpu.device) as GPUDevice;
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const buffers: GPUBuffer[] = [];
  const gpuTensor = (values: Float32Array | null, shape: number[]) => {
    // ORT 1.31 binds a scalar output as a vec4 of f32, so a buffer needs at least 16 bytes.
    const buffer = device.createBuffer({ size: Math.max(16, sizeOf(shape) * 4), usage });
    if (values !== null) device.queue.writeBuffer(buffer, 0, values);
    buffers.push(buffer);
    return ort.Tensor.fromGpuBuffer(buffer, { dataType: 'float32', dims: shape });
  };
  const inputs: Record<string, OrtWeb.Tensor> = {};
  graph.inputs.forEach((v, i) => (inputs[v.name] = gpuTensor(Float32Array.from(feeds[i].values), v.shape)));
  const output = gpuTensor(null, outputShape);
  const outputBuffer = buffers[buffers.length - 1];
  const fetches = { [graph.outputs[0].name]: output };

  const once = async () => {
    await session.run(inputs, fetches);
    await device.queue.onSubmittedWorkDone();
  };
  return {
    once,
    outputs: async () => {
      await once();
      const values = await readF32(device, outputBuffer, Math.max(1, sizeOf(outputShape)));
      return [toReference === undefined ? values : toReference(values)];
    },
    dispose: () => {
      void session.release();
      for (const b of buffers) b.destroy();
    },
  };
}
