// Memory accounting for tests and the soak checks.

import { poolStats } from './gpu/runtime.js';
import { liveTensorCount } from './tensor/scope.js';
import { liveStorageBytes } from './tensor/storage.js';

export interface MemoryInfo {
  /** Tensors created and not yet disposed. */
  liveTensors: number;
  /** Bytes of GPU storage referenced by live tensors (shared storage counted once). */
  liveBytes: number;
  /** Bytes held by the buffer pool for reuse. */
  pooledBytes: number;
}

export function memory(): MemoryInfo {
  return { liveTensors: liveTensorCount(), liveBytes: liveStorageBytes(), pooledBytes: poolStats().pooledBytes };
}
