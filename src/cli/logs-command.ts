import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { runLogPath } from '../executors/local/paths.js';
import { dataDirOption } from './options.js';

/** `omicsd logs RUN_ID`: prints a local run's engine log from the data dir. */
export function addLogsCommand(program: Command) {
  program
    .command('logs')
    .description("print a run's engine log (runs of the local executor: the engine's stdout and stderr)")
    .argument('<runId>', 'run id')
    .addOption(dataDirOption('data dir of the omicsd that ran it (the one given to omicsd serve)'))
    .option('-f, --follow', 'keep printing what the engine writes (Ctrl-C to stop)')
    .action(async (runId: string, o) => {
      if (!/^[0-9]{1,18}$/.test(runId)) throw new InvalidArgumentError(`${runId} is not a run id`);
      const file = runLogPath(o.dataDir, runId);
      if (!fs.existsSync(file)) {
        throw new Error(`No engine log for run ${runId} in ${path.resolve(o.dataDir)} (runs of the simulated executor have none; `
          + 'give the data dir of the server that ran it with --data-dir)');
      }
      let offset = 0;
      const copy = () => new Promise<void>((resolve, reject) => {
        const size = fs.statSync(file).size;
        if (size <= offset) return resolve();
        const s = fs.createReadStream(file, { start: offset, end: size - 1 });
        offset = size;
        s.on('error', reject);
        s.on('end', resolve);
        s.pipe(process.stdout, { end: false });
      });
      await copy();
      if (!o.follow) return;
      for (;;) {
        await new Promise((r) => setTimeout(r, 500));
        await copy();
      }
    });
}
