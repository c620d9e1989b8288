/** A status as a coloured label. */
export const Status = ({ value }: { value?: string }) => <span class={`status s-${(value ?? 'unknown').toLowerCase()}`}>{value ?? '—'}</span>;

/** An error line, when there is one. */
export const ErrorLine = ({ error }: { error?: string }) => (error ? <p class="error" role="alert">{error}</p> : null);

/**
 * Previous / next for a list paged by tokens: `tokens` holds the token of each page seen so far;
 * `next` is the token the page now shown gave (undefined while that page is still being read).
 */
export function Pager({ tokens, next, setTokens }: { tokens: (string | undefined)[]; next?: string; setTokens: (t: (string | undefined)[]) => void }) {
  return (
    <div class="pager">
      <button disabled={tokens.length <= 1} onClick={() => setTokens(tokens.slice(0, -1))}>Previous</button>
      <span class="muted">page {tokens.length}</span>
      <button disabled={!next} onClick={() => setTokens([...tokens, next])}>Next</button>
    </div>
  );
}
