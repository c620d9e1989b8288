// The official SDK client as a user configures it for a custom endpoint, and the account it acts as.
import { OmicsClient } from '@aws-sdk/client-omics';

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';
/** The IAM role every run is started with (omicsd stores it, it does not assume it). */
export const ROLE = `arn:aws:iam::${ACCOUNT}:role/OmicsRole`;

/**
 * An OmicsClient for the server at `url`. `disableHostPrefix` keeps the SDK from prepending
 * `workflows-` to the host; one attempt by default, so that a retry hides no failure and no latency.
 */
export function sdkClient(url: string, maxAttempts = 1) {
  return new OmicsClient({
    region: REGION,
    endpoint: url,
    disableHostPrefix: true,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts,
  });
}
