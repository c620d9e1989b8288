import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from './api.js';

export interface Polled<T> {
  data?: T;
  /** Whether `data` was read with the current `deps` (until then it is the previous answer, shown meanwhile). */
  current: boolean;
  error?: string;
  /** Read again now (after an action). */
  refresh: () => void;
}

/**
 * Calls `load` now and every `everyMs` while the page shows, keeping the last answer; a failed call
 * shows its error and is tried again at the next tick. `deps` start it over.
 */
export function usePoll<T>(load: () => Promise<T>, deps: unknown[], everyMs = 2000): Polled<T> {
  const [state, setState] = useState<{ data?: T; error?: string; key?: string }>({});
  const [tick, setTick] = useState(0);
  const loader = useRef(load);
  loader.current = load;
  const key = JSON.stringify(deps);
  useEffect(() => {
    let live = true;
    let timer: number | undefined;
    const run = async () => {
      try {
        const data = await loader.current();
        if (live) setState({ data, error: undefined, key });
      } catch (err) {
        if (live) setState((s) => ({ ...s, error: errorText(err) }));
      }
      if (live && everyMs > 0) timer = window.setTimeout(run, everyMs);
    };
    void run();
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [...deps, tick]);
  return { data: state.data, error: state.error, current: state.key === key, refresh: () => setTick((t) => t + 1) };
}

/** The hash route (`#/batches/123`) as its parts, kept current. */
export function useRoute(): string[] {
  const parse = () => window.location.hash.replace(/^#\/?/, '').split('?')[0].split('/').filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(parse);
  useEffect(() => {
    const on = () => setRoute(parse());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

export const go = (path: string) => {
  window.location.hash = `#/${path}`;
};
