// Bilinear resizing of normalized images, e.g. 32x32 CIFAR images to the 224x224 input
// of a pre-trained ViT. Pixel centers are aligned (half-pixel offsets), as in
// PyTorch's interpolate(mode='bilinear', align_corners=False) without antialiasing.

/** Resizes images [n, channels, height, width] to [n, channels, outHeight, outWidth]. */
export function resizeBilinear(
  pixels: Float32Array,
  shape: { n: number; channels: number; height: number; width: number },
  outHeight: number,
  outWidth: number,
): Float32Array {
  const { n, channels, height, width } = shape;
  if (pixels.length !== n * channels * height * width) {
    throw new Error(`resizeBilinear: ${pixels.length} values do not fill [${n}, ${channels}, ${height}, ${width}]`);
  }
  const out = new Float32Array(n * channels * outHeight * outWidth);
  const rows = axisWeights(height, outHeight);
  const cols = axisWeights(width, outWidth);

  for (let plane = 0; plane < n * channels; plane++) {
    const source = plane * height * width;
    const target = plane * outHeight * outWidth;
    for (let y = 0; y < outHeight; y++) {
      const { low: y0, high: y1, frac: fy } = rows[y];
      for (let x = 0; x < outWidth; x++) {
        const { low: x0, high: x1, frac: fx } = cols[x];
        const top = pixels[source + y0 * width + x0] * (1 - fx) + pixels[source + y0 * width + x1] * fx;
        const bottom = pixels[source + y1 * width + x0] * (1 - fx) + pixels[source + y1 * width + x1] * fx;
        out[target + y * outWidth + x] = top * (1 - fy) + bottom * fy;
      }
    }
  }
  return out;
}

/** Source pixels and weight of each output pixel along one axis; edges clamp. */
function axisWeights(inSize: number, outSize: number): { low: number; high: number; frac: number }[] {
  const scale = inSize / outSize;
  return Array.from({ length: outSize }, (_, i) => {
    const position = Math.max((i + 0.5) * scale - 0.5, 0);
    const low = Math.min(Math.floor(position), inSize - 1);
    const high = Math.min(low + 1, inSize - 1);
    return { low, high, frac: position - low };
  });
}
