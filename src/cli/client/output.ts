import { Option } from 'commander';

/** `--output json|table|text`, as the AWS CLI spells it (docs/cli.md). */
export type OutputFormat = 'json' | 'table' | 'text';

export const outputOption = () =>
  new Option('--output <format>', 'json (the API response), table or text (tab-separated)').choices(['json', 'table', 'text']).default('table');

/** Any response object: its members are read by name. */
type Row = object;
const member = (r: Row, k: string) => (r as Record<string, unknown>)[k];

/** Timestamps as ISO 8601 and nested values as JSON, so every format shows the same values. */
function cell(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v, replacer);
  return String(v);
}

function replacer(this: unknown, _key: string, value: unknown) {
  return value instanceof Date ? value.toISOString() : value;
}

export function toJson(value: unknown): string {
  return `${JSON.stringify(value, (k, v) => (k === '$metadata' ? undefined : v), 2)}\n`;
}

/** Rows under fixed columns: padded columns for `table`, tab-separated values (no header) for `text`. */
export function formatRows(rows: Row[], columns: string[], format: Exclude<OutputFormat, 'json'>): string {
  const cells = rows.map((r) => columns.map((c) => cell(member(r, c)).replace(/[\t\n]/g, ' ')));
  if (format === 'text') return cells.map((r) => `${r.join('\t')}\n`).join('');
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const line = (r: string[]) => `${r.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd()}\n`;
  return line(columns) + cells.map(line).join('');
}

/** One record as `key  value` lines (table) or `key\tvalue` (text); nested members as JSON. */
export function formatRecord(record: Row, format: Exclude<OutputFormat, 'json'>): string {
  const entries = Object.entries(record).filter(([k, v]) => k !== '$metadata' && v !== undefined);
  return formatRows(entries.map(([key, value]) => ({ key, value })), ['key', 'value'], format).split('\n').slice(format === 'table' ? 1 : 0).join('\n');
}

/** Prints a list response: json keeps the API's shape (`{ items: [...] }`), the others show `columns`. */
export function printList(out: NodeJS.WritableStream, format: OutputFormat, member: string, rows: Row[], columns: string[]) {
  out.write(format === 'json' ? toJson({ [member]: rows }) : formatRows(rows, columns, format));
}

export function printRecord(out: NodeJS.WritableStream, format: OutputFormat, record: Row) {
  out.write(format === 'json' ? toJson(record) : formatRecord(record, format));
}
