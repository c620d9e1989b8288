import { count } from '../format.js';

export interface Segment {
  label: string;
  value: number;
  kind: string;
}

/** One bar of coloured segments over `total`, with a legend; what is not in a segment shows empty. */
export function Progress({ segments, total, label }: { segments: Segment[]; total: number; label: string }) {
  const done = segments.reduce((n, s) => n + s.value, 0);
  return (
    <div class="progress" role="group" aria-label={label}>
      <div class="bar" title={`${label}: ${count(done)} of ${count(total)}`}>
        {segments.filter((s) => s.value > 0).map((s) => (
          <span key={s.kind} class={`seg ${s.kind}`} style={{ width: `${total ? (100 * s.value) / total : 0}%` }} />
        ))}
      </div>
      <div class="legend">
        {segments.map((s) => (
          <span key={s.kind} data-count={s.kind}><i class={`dot ${s.kind}`} />{s.label} {count(s.value)}</span>
        ))}
        <span class="muted">of {count(total)}</span>
      </div>
    </div>
  );
}
