// A small CSV parser for RFC 4180 files: comma-separated fields, optional double
// quotes around a field, "" for a quote inside quotes, line breaks inside quotes, and
// LF or CRLF line ends.

export interface CsvRow {
  fields: string[];
  /** 1-based line number where the row starts. */
  line: number;
}

/**
 * Parses CSV text into rows. Blank lines are skipped. A quote inside an unquoted field
 * is kept as text. `name` labels errors, which give the line of an unterminated quote
 * or of text after a closing quote.
 */
export function parseCsv(text: string, name: string): CsvRow[] {
  const rows: CsvRow[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let i = 0;

  const endField = (): void => {
    fields.push(field);
    field = '';
    quoted = false;
  };
  const endRow = (): void => {
    const blank = fields.length === 0 && field === '' && !quoted;
    endField();
    if (!blank) rows.push({ fields, line: rowLine });
    fields = [];
  };

  while (i < text.length) {
    const ch = text[i];

    if (ch === '"' && field === '' && !quoted) {
      const quoteLine = line;
      i++;
      for (;;) {
        if (i >= text.length) throw new Error(`parseCsv: ${name}:${quoteLine}: quoted field is not closed`);
        if (text[i] === '"' && text[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (text[i] === '"') {
          i++;
          break;
        } else {
          if (text[i] === '\n') line++;
          field += text[i];
          i++;
        }
      }
      quoted = true;
      const next = text[i];
      if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
        throw new Error(`parseCsv: ${name}:${line}: unexpected character ${JSON.stringify(next)} after a closing quote`);
      }
      continue;
    }

    if (ch === ',') {
      endField();
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else {
      field += ch;
    }
    i++;
  }

  if (fields.length > 0 || field !== '' || quoted) endRow();
  return rows;
}
