import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Command } from 'commander';
import { dataDirOption } from './options.js';

/**
 * `omicsd backup FILE`: a consistent copy of the store's SQLite file, taken with SQLite's online
 * backup while the server keeps running (docs/operations.md, "Backups").
 */
export function addBackupCommand(program: Command) {
  program
    .command('backup')
    .description("copy the store's SQLite file consistently, while the server runs")
    .argument('<file>', 'where the copy goes (must not exist)')
    .addOption(dataDirOption('data dir of the server'))
    .action(async (file: string, o) => {
      const source = path.join(o.dataDir, 'omicsd.sqlite');
      if (!fs.existsSync(source)) throw new Error(`No store at ${path.resolve(source)}: is --data-dir right?`);
      if (fs.existsSync(file)) throw new Error(`${file} exists already: name a new file`);
      const db = new Database(source, { readonly: true, fileMustExist: true });
      try {
        db.pragma('busy_timeout = 5000');
        await db.backup(file);
      } finally {
        db.close();
      }
      process.stdout.write(`${path.resolve(file)} ${fs.statSync(file).size} bytes\n`);
    });
}
