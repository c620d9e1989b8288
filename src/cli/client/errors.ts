/** A failure the CLI reports in one line, with the exit code it stands for (docs/cli.md, "Exit codes"). */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}

/** An API error as `Type: message`, the way the AWS CLI shows one; other errors by their message. */
export function describeError(err: unknown): string {
  if (err instanceof CliError) return err.message;
  const e = err as { name?: string; message?: string; $metadata?: unknown; code?: string };
  // Checked first: the SDK attaches $metadata to network errors too.
  if (e?.code === 'ECONNREFUSED' || e?.code === 'ENOTFOUND') return `cannot reach the endpoint (${e.message})`;
  if (e && e.$metadata && e.name) return `${e.name}: ${e.message ?? ''}`.trim();
  return e?.message ?? String(err);
}
