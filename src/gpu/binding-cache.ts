// Reuses bind groups and uniform buffers across dispatches.
//
// Creating a bind group is most of the CPU cost of a small dispatch (about 38 of 63 us
// on lavapipe), and a training step records the same dispatches on the same pooled
// buffers every step. So bind groups are cached by (pipeline, buffers, uniform), and
// uniform buffers by their contents: a cached uniform buffer is written once and never
// rewritten, so an unsubmitted pass can never see a later write to it.

const UNIFORM_USAGE = 0x40 | 0x08; // UNIFORM | COPY_DST

export interface BindingCacheLimits {
  /** Above these counts the caches are emptied, which bounds memory for ever-changing parameters. */
  maxUniforms: number;
  maxBindGroups: number;
}

const DEFAULT_LIMITS: BindingCacheLimits = { maxUniforms: 8192, maxBindGroups: 16384 };

interface PipelineEntry {
  id: number;
  layout: GPUBindGroupLayout;
}

export class BindingCache {
  private ids = new WeakMap<object, number>();
  private pipelines = new WeakMap<GPUComputePipeline, PipelineEntry>();
  private nextId = 1;
  private uniforms = new Map<string, GPUBuffer>();
  private bindGroups = new Map<string, GPUBindGroup>();
  /** Uniform buffers dropped from the cache; the open pass may still bind them, so they are destroyed after the next submit. */
  private retired: GPUBuffer[] = [];
  private hits = 0;
  private misses = 0;

  constructor(
    private device: GPUDevice,
    private limits: BindingCacheLimits = DEFAULT_LIMITS,
  ) {}

  /** Returns a bind group for `pipeline` with `buffers` at bindings 0..n-1 and `params` right after them. */
  bindGroup(pipeline: GPUComputePipeline, buffers: GPUBuffer[], params: ArrayBuffer | undefined, label: string): GPUBindGroup {
    const entry = this.pipelineEntry(pipeline);
    let key = String(entry.id);
    for (const buffer of buffers) key += ',' + this.idOf(buffer);
    const uniform = params === undefined ? undefined : this.uniform(params);
    if (uniform !== undefined) key += ':' + this.idOf(uniform);

    const cached = this.bindGroups.get(key);
    if (cached !== undefined) {
      this.hits++;
      return cached;
    }
    this.misses++;
    const entries: GPUBindGroupEntry[] = buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
    if (uniform !== undefined) entries.push({ binding: entries.length, resource: { buffer: uniform } });
    const group = this.device.createBindGroup({ layout: entry.layout, entries, label });
    if (this.bindGroups.size >= this.limits.maxBindGroups) this.bindGroups.clear();
    this.bindGroups.set(key, group);
    return group;
  }

  /** Destroys the uniform buffers retired before the submit that just happened. */
  afterSubmit(): void {
    for (const buffer of this.retired) buffer.destroy();
    this.retired = [];
  }

  stats(): { hits: number; misses: number; uniforms: number } {
    return { hits: this.hits, misses: this.misses, uniforms: this.uniforms.size };
  }

  private uniform(params: ArrayBuffer): GPUBuffer {
    const words = new Uint32Array(params);
    let key = '';
    for (let i = 0; i < words.length; i++) key += words[i].toString(36) + ',';
    const cached = this.uniforms.get(key);
    if (cached !== undefined) return cached;

    if (this.uniforms.size >= this.limits.maxUniforms) {
      // Bind groups hold the retired uniforms, so they go too.
      this.retired.push(...this.uniforms.values());
      this.uniforms.clear();
      this.bindGroups.clear();
    }
    const buffer = this.device.createBuffer({ size: Math.ceil(params.byteLength / 16) * 16, usage: UNIFORM_USAGE });
    this.device.queue.writeBuffer(buffer, 0, params);
    this.uniforms.set(key, buffer);
    return buffer;
  }

  private pipelineEntry(pipeline: GPUComputePipeline): PipelineEntry {
    let entry = this.pipelines.get(pipeline);
    if (entry === undefined) {
      entry = { id: this.nextId++, layout: pipeline.getBindGroupLayout(0) };
      this.pipelines.set(pipeline, entry);
    }
    return entry;
  }

  /** Returns a number that names `object` for this cache; destroyed buffers keep theirs, so keys never collide. */
  private idOf(object: object): number {
    let id = this.ids.get(object);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(object, id);
    }
    return id;
  }
}
