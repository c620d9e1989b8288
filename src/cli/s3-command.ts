import type { Command } from 'commander';
import { copyFileToStore, createObjectStore } from '../objectstore/index.js';
import { dataDirOption, envOption, httpUrl } from './options.js';

/** `omicsd s3 cp`: puts a local file into the object store behind s3:// URIs. */
export function addS3Command(program: Command) {
  const s3 = program.command('s3').description('the object store behind s3:// URIs');
  s3.command('cp')
    .description('copy a local file into the object store')
    .argument('<file>', 'local file')
    .argument('<uri>', 's3://bucket/key')
    .addOption(dataDirOption('data dir of the embedded store'))
    .addOption(envOption('--s3-endpoint <url>', 'S3-compatible endpoint instead of the embedded store', 'S3_ENDPOINT').argParser(httpUrl))
    .addOption(envOption('--region <region>', 'region', 'REGION').default('us-east-1'))
    .action(async (file: string, uri: string, o) => {
      const store = createObjectStore({ dataDir: o.dataDir, s3Endpoint: o.s3Endpoint, region: o.region });
      try {
        const info = await copyFileToStore(store, file, uri);
        process.stdout.write(`${uri} ${info.size} bytes ETag ${info.etag}\n`);
      } finally {
        await store.close();
      }
    });
}
