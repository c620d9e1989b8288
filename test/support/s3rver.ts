// A real S3-protocol server (s3rver) on 127.0.0.1 for tests of omicsd with --s3-endpoint, and an S3
// client of it. omicsd reaches it through the standard credential chain: pass `env` to the server.
import type { AddressInfo } from 'node:net';
import S3rver from 's3rver';
import { S3Client } from '@aws-sdk/client-s3';
import { tempDir } from './paths.js';

export interface S3Server {
  /** Its URL, for `--s3-endpoint`. */
  endpoint: string;
  s3: S3Client;
  /** The credentials omicsd needs in its environment to use it. */
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function startS3rver(buckets: string[]): Promise<S3Server> {
  const server = new S3rver({
    port: 0, address: '127.0.0.1', silent: true, directory: tempDir('omicsd-s3rver-'), configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  });
  const addr: AddressInfo = await server.run();
  const endpoint = `http://127.0.0.1:${addr.port}`;
  const s3 = new S3Client({
    endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    endpoint, s3,
    env: { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' },
    async close() {
      s3.destroy();
      await server.close();
    },
  };
}
