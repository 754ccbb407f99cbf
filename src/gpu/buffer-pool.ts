// Size-bucketed pool of storage buffers.
//
// A released buffer may still be read by commands that are recorded but not yet
// submitted, so it waits in `pendingRelease` until the next submit and only then
// becomes reusable. Otherwise a later `writeBuffer` (which runs at once on the queue)
// could overwrite data that an unsubmitted pass still needs.

// STORAGE | COPY_SRC | COPY_DST, written as the spec's values because in Node the
// GPUBufferUsage global exists only after init().
export const STORAGE_USAGE = 0x80 | 0x04 | 0x08;

/** Rounds a byte size up to its bucket: multiples of 256 bytes up to 4 KiB, then 8 buckets per power of two. */
export function bucketSize(bytes: number): number {
  const size = Math.max(bytes, 16);
  if (size <= 4096) return Math.ceil(size / 256) * 256;
  const octave = 2 ** Math.floor(Math.log2(size));
  const step = octave / 8;
  return Math.ceil(size / step) * step;
}

export class BufferPool {
  /** Free buffers per bucket size, ordered by creation, newest first, so `pop` reuses the oldest. */
  private free = new Map<number, GPUBuffer[]>();
  private serials = new WeakMap<GPUBuffer, number>();
  private nextSerial = 0;
  private pendingRelease: GPUBuffer[] = [];
  pooledBytes = 0;
  allocatedBytes = 0;
  /** Pooled bytes above this cap are destroyed instead of kept. */
  capBytes = 512 * 1024 * 1024;

  constructor(private device: GPUDevice) {}

  acquire(bytes: number, label: string): GPUBuffer {
    // Every buffer is bound whole as a storage buffer, so the binding limit (often
    // far below maxBufferSize, e.g. 128 MiB against 4 GiB) bounds it as well.
    const limits = this.device.limits;
    const maxSize = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
    if (bytes > maxSize) {
      throw new Error(
        `${label}: a buffer of ${bytes} bytes exceeds this adapter's limit of ${maxSize} bytes ` +
          `(maxBufferSize ${limits.maxBufferSize}, maxStorageBufferBindingSize ${limits.maxStorageBufferBindingSize}); ` +
          'use a smaller batch or smaller tensors.',
      );
    }
    // Near the limit the bucket may round past it, and then the size is rounded up to
    // 16 bytes only, so that vec4 kernels can still read a tensor's last partial vec4.
    let size = bucketSize(bytes);
    if (size > maxSize) size = Math.min(maxSize, Math.ceil(bytes / 16) * 16);

    const list = this.free.get(size);
    const reused = list?.pop();
    if (reused !== undefined) {
      this.pooledBytes -= size;
      return reused;
    }
    this.allocatedBytes += size;
    const buffer = this.device.createBuffer({ size, usage: STORAGE_USAGE, label });
    this.serials.set(buffer, this.nextSerial++);
    return buffer;
  }

  /** Queues a buffer for reuse after the next submit. */
  release(buffer: GPUBuffer): void {
    this.pendingRelease.push(buffer);
  }

  /** Called right after a submit: buffers released before it become reusable. */
  afterSubmit(): void {
    for (const buffer of this.pendingRelease) {
      const size = buffer.size;
      if (this.pooledBytes + size > this.capBytes) {
        this.allocatedBytes -= size;
        buffer.destroy();
        continue;
      }
      let list = this.free.get(size);
      if (list === undefined) {
        list = [];
        this.free.set(size, list);
      }
      insertBySerial(list, buffer, this.serials);
      this.pooledBytes += size;
    }
    this.pendingRelease = [];
  }

  /** Destroys pooled buffers, largest first, until the pool contains at most `capBytes`. */
  trim(): void {
    const sizes = [...this.free.keys()].sort((a, b) => b - a);
    for (const size of sizes) {
      const list = this.free.get(size)!;
      while (list.length > 0 && this.pooledBytes > this.capBytes) {
        list.pop()!.destroy();
        this.pooledBytes -= size;
        this.allocatedBytes -= size;
      }
      if (list.length === 0) this.free.delete(size);
      if (this.pooledBytes <= this.capBytes) return;
    }
  }

  /** Destroys every pooled buffer. */
  clear(): void {
    for (const list of this.free.values()) {
      for (const buffer of list) {
        this.allocatedBytes -= buffer.size;
        buffer.destroy();
      }
    }
    this.free.clear();
    this.pooledBytes = 0;
  }
}

/**
 * Inserts `buffer` into `list`, which is sorted by serial, newest first. Handing out
 * the oldest free buffer first makes a repeated step get the same buffers in the same
 * roles every time, whatever order its tensors were released in, so the runtime's
 * cached bind groups keep matching.
 */
function insertBySerial(list: GPUBuffer[], buffer: GPUBuffer, serials: WeakMap<GPUBuffer, number>): void {
  const serial = serials.get(buffer) ?? 0;
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((serials.get(list[mid]) ?? 0) > serial) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, buffer);
}
