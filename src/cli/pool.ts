/**
 * Runs `work` over `items` with at most `limit` at once. Every item is attempted; the failures are
 * returned (in item order) instead of stopping the others halfway.
 */
export async function eachLimited<T>(items: Iterable<T>, limit: number, work: (item: T) => Promise<void>): Promise<{ item: T; error: unknown }[]> {
  const failures: { item: T; error: unknown; index: number }[] = [];
  const it = items[Symbol.iterator]();
  let index = 0;
  const lane = async () => {
    for (let next = it.next(); !next.done; next = it.next()) {
      const i = index++;
      try {
        await work(next.value);
      } catch (error) {
        failures.push({ item: next.value, error, index: i });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, lane));
  return failures.sort((a, b) => a.index - b.index).map(({ item, error }) => ({ item, error }));
}
