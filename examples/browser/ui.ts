// Small DOM helpers of the demo page. The page state lives in body[data-state]
// ('loading', 'running', 'done' or 'error'), which the browser test waits on.

export type PageState = 'loading' | 'running' | 'done' | 'error';

export function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`demo page: element #${id} is missing from index.html`);
  return element as T;
}

export function setState(state: PageState, status: string): void {
  document.body.dataset.state = state;
  byId('status').textContent = status;
}

/** Shows an error panel with a title and explanation lines, and sets the page state to 'error'. */
export function showError(title: string, lines: string[]): void {
  const panel = byId('error');
  panel.replaceChildren();
  const heading = document.createElement('strong');
  heading.textContent = title;
  panel.append(heading);
  for (const line of lines) {
    const p = document.createElement('p');
    p.textContent = line;
    panel.append(p);
  }
  panel.hidden = false;
  setState('error', `error: ${title}`);
}

/** Appends a row of text cells to a table body and returns the row. */
export function addRow(body: HTMLTableSectionElement, cells: string[]): HTMLTableRowElement {
  const row = body.insertRow();
  for (const text of cells) row.insertCell().textContent = text;
  return row;
}

export function formatNumber(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}
