/** One line of the results table: a figure, the machine's limit measured beside it, and its target. */
export interface Figure {
  scenario: string;
  figure: string;
  value: number;
  unit: string;
  /** The limit measured in the same run, in the same unit. */
  limit?: number;
  limitLabel?: string;
  /** value / limit. */
  ratio?: number;
  target?: string;
  /** Undefined when the figure has no target (shown for context). */
  pass?: boolean;
}

export function figure(f: Omit<Figure, 'ratio'> & { ratio?: number }): Figure {
  const ratio = f.ratio ?? (f.limit !== undefined && f.limit > 0 ? f.value / f.limit : undefined);
  return { ...f, ratio };
}

/** Collects the figures of one scenario. */
export class Figures {
  readonly list: Figure[] = [];
  constructor(readonly scenario: string) {}
  add(f: Omit<Figure, 'scenario' | 'ratio'> & { ratio?: number }) {
    const made = figure({ scenario: this.scenario, ...f });
    this.list.push(made);
    return made;
  }
}

/** A number with as many digits as are meaningful. */
export function fmt(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '—';
  const a = Math.abs(n);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export const withUnit = (n: number | undefined, unit: string) => (n === undefined ? '—' : `${fmt(n)}${unit ? ` ${unit}` : ''}`);
