import type { Command } from 'commander';
import { createObjectStore, S3ObjectStore, type ObjectStore } from '../objectstore/index.js';
import { dataDirOption, envOption, httpUrl, wholeNumber } from './options.js';
import { copy } from './s3/copy.js';
import { list } from './s3/list.js';
import { transferProblem, type Output } from './s3/messages.js';

interface StoreOptions {
  dataDir: string;
  s3Endpoint?: string;
  region: string;
}

/** `--data-dir`, `--s3-endpoint`, `--region`: which object store a command works on (each also OMICSD_<NAME>). */
function withStoreOptions(cmd: Command): Command {
  return cmd
    .addOption(dataDirOption('data dir of the embedded store'))
    .addOption(envOption('--s3-endpoint <url>', 'S3-compatible endpoint instead of the embedded store', 'S3_ENDPOINT').argParser(httpUrl))
    .addOption(envOption('--region <region>', 'region', 'REGION').default('us-east-1'));
}

const QUIET = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** stdout and stderr; a reader that went away (`omicsd s3 ls … | head`: EPIPE) stops that output, not the copies. */
function stdio(): Output {
  const open = { out: true, err: true };
  const guard = (stream: NodeJS.WriteStream, which: keyof typeof open) =>
    stream.on('error', () => {
      open[which] = false;
    });
  guard(process.stdout, 'out');
  guard(process.stderr, 'err');
  return {
    out: (line) => void (open.out && process.stdout.write(`${line}\n`)),
    err: (line) => void (open.err && process.stderr.write(`${line}\n`)),
  };
}

/**
 * Runs `work` on the store the options name and closes it. A failure of some copies sets exit code 1 (the
 * lines saying which were written already); any other error becomes one line without a stack (main.ts).
 */
async function withStore(o: StoreOptions, work: (store: ObjectStore) => Promise<boolean>): Promise<void> {
  const store = createObjectStore({ dataDir: o.dataDir, s3Endpoint: o.s3Endpoint, region: o.region });
  // Without a logger the SDK writes a line of its own to the console when a streamed upload fails; the failure
  // line below says it already.
  if (store instanceof S3ObjectStore) store.client.config.logger = QUIET;
  try {
    if (!(await work(store))) process.exitCode = 1;
  } catch (err) {
    throw new Error(transferProblem(err));
  } finally {
    await store.close();
  }
}

/** `omicsd s3 cp|ls`: the object store behind s3:// URIs (docs/cli.md, "The object store: omicsd s3"). */
export function addS3Command(program: Command) {
  const s3 = program.command('s3').description('the object store behind s3:// URIs: cp, ls');
  withStoreOptions(
    s3
      .command('cp')
      .usage('[options] SRC... DEST')
      .description('copy local files into the object store, or objects into local files (like aws s3 cp)')
      .argument('<paths...>', 'sources then the destination: local paths and s3://bucket/key URIs')
      .option('-r, --recursive', 'copy every file under a local folder, or every object under an s3:// prefix')
      .option('--concurrency <n>', 'copies at once', wholeNumber(1, 1000), 8),
  )
    .addHelpText('after', `
Examples:
  omicsd s3 cp cohort.json s3://settings/cohort.json         one file to a key
  omicsd s3 cp a.fq b.fq s3://reads/run1/                    files to a prefix (DEST ends in /)
  omicsd s3 cp -r ./samples s3://reads/run1                  a folder's files under run1/
  omicsd s3 cp s3://results/out/count.txt .                  an object into a folder (or to a file name)
  omicsd s3 cp -r s3://results/out/ ./out                    every object under out/ into ./out
Symbolic links under a folder are not followed; keys that would leave the destination folder are refused.`)
    .action(async (paths: string[], o: StoreOptions & { recursive?: boolean; concurrency: number }) => {
      await withStore(o, (store) => copy(store, paths, { recursive: !!o.recursive, concurrency: o.concurrency }, stdio()));
    });

  withStoreOptions(
    s3
      .command('ls')
      .description('list the objects under s3://bucket[/prefix]: size, ETag and key (like aws s3 ls)')
      .argument('[uri]', 's3://bucket[/prefix]')
      .option('-r, --recursive', 'every key under the prefix, in full (otherwise subfolders are PRE lines)')
      .option('--summarize', 'end with the number of objects and their total size'),
  ).action(async (arg: string | undefined, o: StoreOptions & { recursive?: boolean; summarize?: boolean }) => {
    await withStore(o, (store) => list(store, arg, { recursive: !!o.recursive, summarize: !!o.summarize }, stdio()));
  });
}
