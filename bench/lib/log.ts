const started = performance.now();

/** Progress on stderr (the table goes to stdout), stamped with seconds since the harness started. */
export function log(scope: string, msg: string) {
  const s = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`${s}s [${scope}] ${msg}\n`);
}
