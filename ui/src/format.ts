/** Dates and durations as the dashboard shows them. */
export const when = (d: Date | undefined) => (d ? d.toLocaleString() : '—');

export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h} h ${m % 60} min` : `${Math.floor(h / 24)} d ${h % 24} h`;
}

export const between = (a: Date | undefined, b: Date | undefined) => (a ? (b ?? new Date()).getTime() - a.getTime() : undefined);

export const count = (n: number | undefined) => (n ?? 0).toLocaleString('en-US');
