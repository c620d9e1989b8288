/**
 * s3rver as its own process (the bench's stand-in for a remote S3): `node --import tsx s3rver-main.ts DIR BUCKET`
 * prints `s3rver listening on http://127.0.0.1:PORT` and serves until SIGTERM.
 */
import S3rver from 's3rver';

const [dir, bucket] = process.argv.slice(2);
const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: bucket, configs: [] }] });
const address = await server.run();
process.stdout.write(`s3rver listening on http://127.0.0.1:${address.port}\n`);
process.on('SIGTERM', () => {
  void server.close().finally(() => process.exit(0));
});
