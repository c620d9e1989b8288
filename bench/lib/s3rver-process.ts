import path from 'node:path';
import { startListening, type Child } from '../../test/support/process.js';
import { tempDir } from './temp-dirs.js';

/** s3rver's only account: the credentials omicsd and the harness sign with. */
export const S3RVER_ENV = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

/** Starts s3rver in its own process with `bucket` created; so its CPU is not the server's or the harness's. */
export async function startS3rverProcess(bucket: string): Promise<{ endpoint: string; child: Child }> {
  const dir = tempDir('s3rver');
  const { child, url } = await startListening(
    process.execPath,
    ['--import', 'tsx', path.join(import.meta.dirname, 's3rver-main.ts'), dir, bucket],
    { line: /s3rver listening on (http:\/\/\S+)/, ms: 20_000, what: 's3rver', env: { ...process.env, ...S3RVER_ENV } },
  );
  return { endpoint: url, child };
}
