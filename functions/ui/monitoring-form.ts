import type { FieldIssue } from '../errors';
import type { I18n } from './i18n';
import type { EditView, PanelRow } from './monitoring-pages';

const MAX_ROWS = 31;
const text = (value: unknown) => (typeof value === 'string' ? value : '');

/** The dashboard JSON the API takes, from the editing form, and which form row each panel came from. */
export interface ParsedForm {
  view: EditView;
  json: {
    name?: string;
    title: string;
    position?: number;
    panels: { id?: string; title: string; query: string; unit?: string; range?: string }[];
  };
  /** rowOf[i]: the form row of the API's panels[i]. */
  rowOf: number[];
}

/**
 * Reads the flat form (`title.3`, `query.3`, … for row 3): rows left
 * empty or marked removed are dropped, the rest sorted by their order
 * field. Nothing is judged here; the API validates and answers per field.
 */
export function parseEditForm(
  body: Record<string, unknown>,
  isNew: boolean,
  name: string,
): ParsedForm {
  const count = Math.min(MAX_ROWS, Math.max(0, Number(text(body.count)) || 0));
  const rows: (PanelRow & { index: number; removed: boolean })[] = [];
  for (let i = 0; i < count; i++) {
    const row = {
      id: text(body[`id.${i}`]),
      title: text(body[`title.${i}`]).trim(),
      query: text(body[`query.${i}`]).replace(/\r\n/g, '\n'),
      unit: text(body[`unit.${i}`]),
      range: text(body[`range.${i}`]),
      order: text(body[`order.${i}`]),
      index: i,
      removed: text(body[`remove.${i}`]) === '1',
    };
    if (row.removed || (!row.title && !row.query.trim())) continue;
    rows.push(row);
  }
  rows.sort(
    (a, b) =>
      (Number(a.order) || a.index + 1) - (Number(b.order) || b.index + 1) || a.index - b.index,
  );
  const position = text(body.position).trim();
  const view: EditView = {
    isNew,
    name: isNew ? text(body.name).trim() : name,
    title: text(body.title).trim(),
    position,
    rows: rows.map(({ index: _i, removed: _r, ...row }, i) => ({ ...row, order: String(i + 1) })),
    errors: {},
  };
  return {
    view,
    json: {
      ...(isNew ? { name: view.name } : {}),
      title: view.title,
      ...(position && Number.isFinite(Number(position)) ? { position: Number(position) } : {}),
      panels: rows.map((r) => ({
        ...(r.id ? { id: r.id } : {}),
        title: r.title,
        query: r.query,
        ...(r.unit ? { unit: r.unit } : {}),
        ...(r.range ? { range: r.range } : {}),
      })),
    },
    // After the sort the view's rows are in API order, so each panel's row is its own index.
    rowOf: rows.map((_, i) => i),
  };
}

const position = /^line (\d+), column (\d+): (.*)$/s;

/** The API's field issues as the form's errors, worded in the user's language where we can. */
export function formErrors(
  i18n: I18n,
  fields: FieldIssue[] | undefined,
  rowOf: number[],
): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const field of fields ?? []) {
    const [head, n, key] = field.path.split('.');
    let name = head ?? '';
    if (head === 'panels' && n !== undefined && key !== undefined)
      name = `${key}.${rowOf[Number(n)] ?? n}`;
    const at = position.exec(field.message);
    errors[name] ??= at
      ? i18n.t('monitoring.at', { line: at[1] ?? '', column: at[2] ?? '', detail: at[3] ?? '' })
      : `${i18n.t('form.invalid')} (${field.message})`;
  }
  return errors;
}
