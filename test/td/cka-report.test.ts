import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { featureMatrix, linearCka, type FeatureMatrix } from '../../src/td/cka.js';
import { ckaColor, renderCkaHeatmap } from '../../src/td/cka-heatmap.js';
import { writeCkaReport } from '../../src/td/cka-heatmap-node.js';
import { ckaReportToJson, classCkaReport, selectRows } from '../../src/td/cka-report.js';
import { Rng } from '../../src/util/rng.js';

function randomMatrix(rows: number, cols: number, rng: Rng): FeatureMatrix {
  return featureMatrix(Float64Array.from({ length: rows * cols }, () => rng.normal()), rows, cols);
}

function sampleInput() {
  const rng = new Rng(21);
  // Class 4 has a single example and must be skipped; class 1 has more than requested.
  const labels = [1, 2, 1, 2, 1, 2, 1, 4, 2, 1, 1];
  const n = labels.length;
  return {
    labels,
    teacher: { s_h: randomMatrix(n, 5, rng), e_h: randomMatrix(n, 3, rng) },
    student: { s_g: randomMatrix(n, 4, rng), e_g: randomMatrix(n, 2, rng), m_g: randomMatrix(n, 6, rng) },
    examplesPerClass: 4,
  };
}

const folder = mkdtempSync(join(tmpdir(), 'td-cka-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('classCkaReport', () => {
  it('first examples per class', () => {
    const input = sampleInput();
    const report = classCkaReport(input);
    expect(report.classes.map((c) => c.label)).toEqual([1, 2]);
    expect(report.skippedClasses).toEqual([4]);
    expect(report.classes[0].examples).toBe(4);
    const rows = [0, 2, 4, 6];
    const expected = linearCka(selectRows(input.student.e_g, rows), selectRows(input.teacher.s_h, rows));
    expect(report.classes[0].cka[1][0]).toBeCloseTo(expected, 14);
  });

  it('matrix shape student by teacher', () => {
    const report = classCkaReport(sampleInput());
    expect(report.classes[1].cka.length).toBe(3);
    expect(report.classes[1].cka[2].length).toBe(2);
  });

  it('rejects row mismatch', () => {
    const input = sampleInput();
    input.teacher.e_h = randomMatrix(3, 3, new Rng(1));
    expect(() => classCkaReport(input)).toThrow(/'e_h' has 3 rows but there are 11 labels/);
  });

  it('json writes NaN as null', () => {
    const input = sampleInput();
    input.teacher.e_h = featureMatrix(new Float64Array(11 * 3).fill(1), 11, 3);
    const parsed = JSON.parse(ckaReportToJson(classCkaReport(input)));
    expect(parsed.classes[0].cka[0][1]).toBeNull();
  });
});

describe('CKA heatmap', () => {
  it('cell colors follow values', () => {
    const report = classCkaReport(sampleInput());
    const image = renderCkaHeatmap(report, { cellWidth: 50, cellHeight: 20, fontScale: 2 });
    expect(image.data.length).toBe(image.width * image.height * 4);
    // The grid starts below the 5-row header font (5 * 2 + 10 px) and right of the
    // widest row label ("class" = 19 px * 2 + 8 px); sample the middle of cell (row 1, pair 3).
    const left = 19 * 2 + 8;
    const top = 5 * 2 + 10;
    const x = left + 3 * 50 + 25;
    const y = top + 1 * 20 + 10;
    const p = (y * image.width + x) * 4;
    const value = report.classes[1].cka[1][1];
    expect([...image.data.slice(p, p + 3)]).toEqual(ckaColor(value));
  });

  it('color map endpoints differ', () => {
    expect(ckaColor(0)).not.toEqual(ckaColor(1));
    expect(ckaColor(Number.NaN)).toEqual([150, 150, 150]);
  });

  it('writes json and png', async () => {
    const report = classCkaReport(sampleInput());
    const jsonPath = join(folder, 'cka.json');
    const pngPath = join(folder, 'cka.png');
    await writeCkaReport(report, jsonPath, pngPath);
    expect(JSON.parse(readFileSync(jsonPath, 'utf8')).studentRepresentations).toEqual(['s_g', 'e_g', 'm_g']);
    const png = PNG.sync.read(readFileSync(pngPath));
    const image = renderCkaHeatmap(report);
    expect(png.width).toBe(image.width);
    expect(png.height).toBe(image.height);
    expect(Buffer.compare(png.data, Buffer.from(image.data))).toBe(0);
  });
});
