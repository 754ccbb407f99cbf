// A GPU buffer shared by one or more tensors (a reshape aliases its input's storage).
// The buffer returns to the pool when the last tensor using it is disposed.

import { gpu } from '../gpu/device.js';
import { allocateBuffer, releaseBuffer } from '../gpu/runtime.js';

let liveBytes = 0;

export class Storage {
  readonly buffer: GPUBuffer;
  readonly bytes: number;
  /** Device that owns the buffer; the buffer is unusable once that device is lost or replaced. */
  readonly device: GPUDevice;
  private refs = 0;

  constructor(bytes: number, label: string) {
    this.bytes = bytes;
    this.buffer = allocateBuffer(bytes, label);
    this.device = gpu().device;
    liveBytes += bytes;
  }

  /** Number of tensors using this storage; 0 until the first tensor is built on it. */
  get refCount(): number {
    return this.refs;
  }

  retain(): void {
    this.refs++;
  }

  release(): void {
    this.refs--;
    if (this.refs === 0) {
      liveBytes -= this.bytes;
      releaseBuffer(this.buffer, this.device);
    }
  }
}

export function liveStorageBytes(): number {
  return liveBytes;
}
