/** A plain decimal number (as spreadsheets read one): never a formula, so never neutralized. */
const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Text a spreadsheet would run as a formula (OWASP CSV injection: a cell
 * starting with `=`, `+`, `-`, `@`, tab or carriage return), unless it is
 * a plain number: `-1.5` is a negative amount, not a formula.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One RFC 4180 field. A text cell that could start a formula gets a single
 * quote prefixed (spreadsheets then show it as text); numbers, and text
 * that is a plain number, are written as they are. Then quoted when it
 * holds a comma, a quote or a line break (quotes doubled).
 */
export function csvField(value: string | number): string {
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text) && !NUMERIC.test(text))
    text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** RFC 4180 text: CRLF line ends, header row first. */
export function toCsv(header: string[], rows: (string | number)[][]): string {
  const lines = [header, ...rows].map((row) => row.map(csvField).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
