// Acquires one WebGPU adapter and device for the process (or the browser tab).
//
// In a browser the adapter comes from `navigator.gpu`. In Node it comes from the
// `webgpu` package (Dawn's bindings), which is imported lazily by a variable name so
// that a browser bundle never pulls it in.

export type FeatureLevel = 'core' | 'compatibility';

export interface InitOptions {
  powerPreference?: GPUPowerPreference;
  /** Feature level of the first attempt. A failed 'core' attempt falls back to 'compatibility'. */
  featureLevel?: FeatureLevel;
  /** Dawn backend in Node, e.g. 'vulkan' or 'opengles'; ignored in browsers. */
  backend?: string;
  /** Request 'shader-f16' when the adapter has it (default true). */
  enableF16?: boolean;
}

export interface Gpu {
  device: GPUDevice;
  adapter: GPUAdapter;
  /** Human-readable adapter description: vendor, architecture, device, description. */
  adapterName: string;
  featureLevel: FeatureLevel;
  limits: GPUSupportedLimits;
  hasF16: boolean;
  hasSubgroups: boolean;
  hasTimestamps: boolean;
  /**
   * True for a software adapter (lavapipe, SwiftShader), which runs each workgroup on a
   * CPU thread. Some ops pick kernels shaped for CPUs there, e.g. one thread per row.
   */
  isSoftware: boolean;
}

/** Returns whether `info` describes a software adapter: a fallback adapter, or llvmpipe or SwiftShader by name. */
export function isSoftwareAdapter(info: Partial<GPUAdapterInfo> & { isFallbackAdapter?: boolean }): boolean {
  if (info.isFallbackAdapter === true || info.architecture === 'software') return true;
  return /llvmpipe|lavapipe|swiftshader/i.test(`${info.vendor ?? ''} ${info.device ?? ''} ${info.description ?? ''}`);
}

let current: Gpu | null = null;
// Dawn's Node instance must stay referenced: once it is garbage-collected, pending
// callbacks (mapAsync, onSubmittedWorkDone) crash the process.
let nodeInstance: GPU | null = null;
let pending: Promise<Gpu> | null = null;
let lostReason: string | null = null;
const lostListeners: ((reason: string) => void)[] = [];
// The reason each unusable device went away, so that errors about its tensors can name it.
const goneReasons = new WeakMap<GPUDevice, string>();
/** True between destroyDevice() and the next init(). */
let destroyed = false;

export const SOFTWARE_ADAPTER_HINT =
  'On Debian 12 install a software Vulkan adapter with: ' +
  'apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1 ' +
  '(needs the bookworm-backports source; Mesa >= 23). In a browser, enable WebGPU ' +
  '(Chrome: chrome://flags/#enable-unsafe-webgpu).';

/** Returns the initialized GPU, or throws when `init()` has not completed. */
export function gpu(): Gpu {
  if (lostReason !== null) {
    throw new Error(`GPU device was lost: ${lostReason}. Call init() again to get a new device.`);
  }
  if (current === null && destroyed) {
    throw new Error('talkgrad: the GPU device was destroyed by destroyDevice(); call `await init()` to get a new one.');
  }
  if (current === null) {
    throw new Error('talkgrad: no GPU device yet; call `await init()` before creating tensors.');
  }
  return current;
}

export function isInitialized(): boolean {
  return current !== null && lostReason === null;
}

/** Registers a callback that runs once when the device is lost. */
export function onDeviceLost(listener: (reason: string) => void): void {
  lostListeners.push(listener);
}

export function deviceLostReason(): string | null {
  return lostReason;
}

/**
 * Returns why `device` can no longer be used, as a predicate ("was lost (...)"), or
 * null while it is the live device.
 */
export function deviceGoneReason(device: GPUDevice): string | null {
  if (lostReason === null && current?.device === device) return null;
  return goneReasons.get(device) ?? 'was replaced by a later init()';
}

/**
 * Acquires an adapter and device once. Later calls return the same device until it is
 * lost or `destroyDevice()` is called.
 */
export async function init(options: InitOptions = {}): Promise<Gpu> {
  if (current !== null && lostReason === null) return current;
  if (pending !== null) return pending;
  pending = acquire(options).finally(() => {
    pending = null;
  });
  return pending;
}

/**
 * Rejects pending reads, waits until the submitted work has finished, and destroys the
 * device. New ops fail at once, and the next `init()` acquires a new device.
 */
export async function destroyDevice(): Promise<void> {
  if (current === null) return;
  const device = current.device;
  const reason = 'destroyed by destroyDevice()';
  current = null;
  lostReason = null;
  destroyed = true;
  goneReasons.set(device, `was ${reason}`);
  for (const listener of lostListeners) listener(reason);
  // Destroying a device with work in flight crashed or hung the process with Dawn
  // (webgpu 0.6.2) on Mesa 25 lavapipe, so the queue drains first.
  await device.queue.onSubmittedWorkDone().catch(() => undefined);
  device.destroy();
}

async function acquire(options: InitOptions): Promise<Gpu> {
  const gpuApi = await findGpuApi(options);
  const first = options.featureLevel ?? 'core';
  const levels: FeatureLevel[] = first === 'core' ? ['core', 'compatibility'] : ['compatibility'];
  const tried: string[] = [];

  for (const featureLevel of levels) {
    let adapter: GPUAdapter | null = null;
    try {
      adapter = await gpuApi.requestAdapter({
        powerPreference: options.powerPreference,
        featureLevel,
      } as GPURequestAdapterOptions);
    } catch (error) {
      tried.push(`${featureLevel}: ${(error as Error).message}`);
      continue;
    }
    if (adapter === null) {
      tried.push(`${featureLevel}: no adapter`);
      continue;
    }
    const device = await requestDevice(adapter, options);
    return install(adapter, device, featureLevel);
  }

  throw new Error(`talkgrad.init: no WebGPU adapter found (tried ${tried.join('; ')}). ${SOFTWARE_ADAPTER_HINT}`);
}

async function requestDevice(adapter: GPUAdapter, options: InitOptions): Promise<GPUDevice> {
  const wanted: GPUFeatureName[] = ['timestamp-query', 'subgroups'];
  if (options.enableF16 !== false) wanted.push('shader-f16');
  const requiredFeatures = wanted.filter((f) => adapter.features.has(f));

  // Ask for the adapter's real limits, not the spec defaults, for the ones kernels use.
  const names = [
    'maxBufferSize',
    'maxStorageBufferBindingSize',
    'maxStorageBuffersPerShaderStage',
    'maxComputeWorkgroupStorageSize',
    'maxComputeInvocationsPerWorkgroup',
    'maxComputeWorkgroupSizeX',
    'maxComputeWorkgroupSizeY',
    'maxComputeWorkgroupsPerDimension',
  ] as const;
  const requiredLimits: Record<string, number> = {};
  for (const name of names) requiredLimits[name] = adapter.limits[name];

  return adapter.requestDevice({ requiredFeatures, requiredLimits });
}

function install(adapter: GPUAdapter, device: GPUDevice, featureLevel: FeatureLevel): Gpu {
  const info = adapter.info;
  const parts = [info?.vendor, info?.architecture, info?.device, info?.description].filter((p) => p);
  const adapterName = parts.length > 0 ? parts.join(' / ') : 'unknown adapter';

  lostReason = null;
  destroyed = false;
  device.lost.then((lost) => {
    if (current?.device !== device) return;
    lostReason = `${lost.reason}: ${lost.message}`;
    goneReasons.set(device, `was lost (${lostReason})`);
    for (const listener of lostListeners) listener(lostReason);
  });

  current = {
    device,
    adapter,
    adapterName,
    featureLevel,
    limits: device.limits,
    hasF16: device.features.has('shader-f16'),
    hasSubgroups: device.features.has('subgroups'),
    hasTimestamps: device.features.has('timestamp-query'),
    isSoftware: isSoftwareAdapter(adapter.info),
  };
  return current;
}

async function findGpuApi(options: InitOptions): Promise<GPU> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu !== undefined) return nav.gpu;

  const isNode = typeof process !== 'undefined' && process.versions?.node !== undefined;
  if (!isNode) {
    throw new Error(`talkgrad.init: this browser has no WebGPU (navigator.gpu is undefined). ${SOFTWARE_ADAPTER_HINT}`);
  }

  const moduleName = 'webgpu';
  let dawn: { create: (flags: string[]) => GPU; globals: object };
  try {
    dawn = await import(/* @vite-ignore */ moduleName);
  } catch (error) {
    throw new Error(`talkgrad.init: cannot load the 'webgpu' package (${(error as Error).message}); run 'npm install webgpu'.`);
  }
  Object.assign(globalThis, dawn.globals);
  // Dawn rounds timestamps down to multiples of 65.536 us by default, as a guard against
  // timing attacks in browsers. A Node process gains nothing from it, and the profiler
  // would lose the short kernels, so it is off.
  const flags: string[] = ['disable-dawn-features=timestamp_quantization'];
  if (options.backend !== undefined) flags.push(`backend=${options.backend}`);
  nodeInstance = dawn.create(flags);
  return nodeInstance;
}
