import Database from 'better-sqlite3';

/** Raw inserts of copies of the batch's run rows into the same database, one prepared statement, one transaction. */
export function rawInsertRate(dbFile: string, batchId: string) {
  const db = new Database(dbFile);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const rows = db.prepare('SELECT * FROM runs WHERE batch_id = ? ORDER BY id').all(batchId) as Record<string, unknown>[];
    const { lo, hi } = db.prepare('SELECT min(id) AS lo, max(id) AS hi FROM runs').get() as { lo: number; hi: number };
    const shift = hi - lo + 1;
    for (const r of rows) r.id = (r.id as number) + shift;
    const cols = Object.keys(rows[0]);
    const insert = db.prepare(`INSERT INTO runs (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`);
    const t = performance.now();
    db.transaction(() => {
      for (const r of rows) insert.run(r);
    })();
    const seconds = (performance.now() - t) / 1000;
    return { rows: rows.length, seconds, rowsPerSecond: rows.length / seconds };
  } finally {
    db.close();
  }
}
