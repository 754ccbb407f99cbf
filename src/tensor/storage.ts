// A GPU buffer shared by one or more tensors (a reshape aliases its input's storage).
// The buffer returns to the pool when the last tensor using it is disposed.

import { allocateBuffer, releaseBuffer } from '../gpu/runtime.js';

let liveBytes = 0;

export class Storage {
  readonly buffer: GPUBuffer;
  readonly bytes: number;
  private refs = 0;

  constructor(bytes: number, label: string) {
    this.bytes = bytes;
    this.buffer = allocateBuffer(bytes, label);
    liveBytes += bytes;
  }

  retain(): void {
    this.refs++;
  }

  release(): void {
    this.refs--;
    if (this.refs === 0) {
      liveBytes -= this.bytes;
      releaseBuffer(this.buffer);
    }
  }
}

export function liveStorageBytes(): number {
  return liveBytes;
}
