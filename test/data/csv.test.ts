import { describe, expect, it } from 'vitest';

import { parseCsv } from '../../src/data/csv.js';

describe('parseCsv', () => {
  it('plain rows', () => {
    expect(parseCsv('a,b,c\n1,2,3\n', 'f').map((row) => row.fields)).toEqual([
      ['a', 'b', 'c'],
      ['1', '2', '3'],
    ]);
  });

  it('quoted comma', () => {
    expect(parseCsv('10,"Matrix, The (1999)",Action|Sci-Fi\n', 'f')[0].fields).toEqual([
      '10',
      'Matrix, The (1999)',
      'Action|Sci-Fi',
    ]);
  });

  it('escaped quote', () => {
    expect(parseCsv('"Love ""Star"" (1976)",x', 'f')[0].fields).toEqual(['Love "Star" (1976)', 'x']);
  });

  it('line break inside quotes', () => {
    const rows = parseCsv('h\n"two\nlines",x\nnext,y\n', 'f');
    expect(rows[1].fields).toEqual(['two\nlines', 'x']);
    expect(rows[2].line).toBe(4);
  });

  it('crlf line ends', () => {
    expect(parseCsv('a,b\r\nc,d\r\n', 'f').map((row) => row.fields)).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });

  it('empty fields kept', () => {
    expect(parseCsv(',x,\n', 'f')[0].fields).toEqual(['', 'x', '']);
  });

  it('empty quoted field is a row', () => {
    expect(parseCsv('""\n', 'f')).toEqual([{ fields: [''], line: 1 }]);
  });

  it('blank lines skipped', () => {
    const rows = parseCsv('a\n\n\nb', 'f');
    expect(rows.map((row) => row.line)).toEqual([1, 4]);
  });

  it('unclosed quote', () => {
    expect(() => parseCsv('a\nb,"open\n', 'movies.csv')).toThrow('parseCsv: movies.csv:2: quoted field is not closed');
  });

  it('text after closing quote', () => {
    expect(() => parseCsv('a\n"x"y,z\n', 'm.csv')).toThrow('parseCsv: m.csv:2: unexpected character "y" after a closing quote');
  });
});
