// Gzip detection and (de)compression on Uint8Array bytes with the web-standard
// CompressionStream and DecompressionStream, which Node 20 and current browsers both
// provide as globals, so one implementation serves both.

/** Returns whether `bytes` start with the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Decompresses gzip bytes. `name` labels the data in error messages. */
export async function gunzip(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  try {
    return await pipeBytes(bytes, new DecompressionStream('gzip'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`gunzip: ${name}: invalid or truncated gzip data (${reason}); download the file again`);
  }
}

/** Decompresses `bytes` when they start with the gzip header and returns them unchanged otherwise. */
export async function gunzipIfCompressed(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  return isGzip(bytes) ? gunzip(bytes, name) : bytes;
}

/** Compresses bytes to the gzip format. */
export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  return pipeBytes(bytes, new CompressionStream('gzip'));
}

async function pipeBytes(bytes: Uint8Array, transform: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  // Blob.stream() feeds the input and closes the writable side, so an error in the
  // transform surfaces once, from the reader, instead of as an unhandled write rejection.
  // BlobPart rejects views of a SharedArrayBuffer, so only those are copied.
  const part = bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : bytes.slice();
  const input = new Blob([part]).stream();
  const reader = input.pipeThrough(transform).getReader();

  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.length;
  }

  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
