// Writes a per-class CKA report as JSON and as a PNG heatmap (PNG encoding by pngjs).

import { PNG } from 'pngjs';

import { writeFileAtomic } from '../io/files-node.js';
import { renderCkaHeatmap, type HeatmapOptions, type RgbaImage } from './cka-heatmap.js';
import { ckaReportToJson, type CkaReport } from './cka-report.js';

/** Encodes an RGBA image as PNG bytes. */
export function encodePng(image: RgbaImage): Uint8Array {
  const png = new PNG({ width: image.width, height: image.height });
  png.data = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  const bytes = PNG.sync.write(png);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Writes `report` to `jsonPath` and its heatmap to `pngPath` (each atomically). */
export async function writeCkaReport(report: CkaReport, jsonPath: string, pngPath: string, options: HeatmapOptions = {}): Promise<void> {
  await writeFileAtomic(jsonPath, ckaReportToJson(report));
  await writeFileAtomic(pngPath, encodePng(renderCkaHeatmap(report, options)));
}
