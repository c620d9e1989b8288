import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { OmicsClient } from '@aws-sdk/client-omics';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { Option, type Command } from 'commander';
import { httpUrl } from '../options.js';
import { outputOption } from './output.js';

/** What every client command takes to reach an endpoint (docs/cli.md, "Talking to a server"). */
export interface EndpointOptions {
  endpoint: string;
  region: string;
  profile?: string;
}

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:8080';

/** `--endpoint`, `--region`, `--profile` on a client command; credentials come from the standard AWS chain. */
export function addEndpointOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--endpoint <url>', 'omicsd or HealthOmics endpoint').env('OMICSD_ENDPOINT').default(DEFAULT_ENDPOINT).argParser(httpUrl))
    .addOption(new Option('--region <region>', 'region of the endpoint').env('AWS_REGION').default('us-east-1'))
    .addOption(new Option('--profile <name>', 'AWS profile for credentials (the standard credential chain otherwise)').env('AWS_PROFILE'));
}

/** A client command: the endpoint options, and `--output` unless the command has an output format of its own. */
export function clientCommand(cmd: Command, output = true): Command {
  addEndpointOptions(cmd);
  return output ? cmd.addOption(outputOption()) : cmd;
}

/** AWS's own endpoints keep the SDK's host prefix (`workflows-omics…`); any other endpoint is called as given. */
function isAwsEndpoint(endpoint: string): boolean {
  return /\.amazonaws\.com(\.cn)?$/i.test(new URL(endpoint).hostname);
}

/**
 * The standard AWS credential chain. Only for a non-AWS endpoint, when the chain finds nothing, requests go
 * signed with a placeholder key: an omicsd without `--credentials` checks no signature, and one with them
 * answers UnrecognizedClientException, which names the problem better than "could not load credentials".
 */
function credentials(o: EndpointOptions): ReturnType<typeof fromNodeProviderChain> {
  const chain = fromNodeProviderChain({ profile: o.profile });
  if (isAwsEndpoint(o.endpoint) || o.profile) return chain;
  return async () => chain().catch(() => ({ accessKeyId: 'omicsd-unauthenticated', secretAccessKey: 'omicsd-unauthenticated' }));
}

export function omicsClient(o: EndpointOptions): OmicsClient {
  return new OmicsClient({
    endpoint: o.endpoint,
    region: o.region,
    credentials: credentials(o),
    disableHostPrefix: !isAwsEndpoint(o.endpoint),
    // Throttling and a busy server are retried with backoff; a long export or watch should ride them out.
    maxAttempts: 5,
  });
}

/** Run logs live in CloudWatch Logs on AWS; omicsd answers the same GetLogEvents call at its own endpoint. */
export function logsClient(o: EndpointOptions): CloudWatchLogsClient {
  const aws = isAwsEndpoint(o.endpoint);
  return new CloudWatchLogsClient({ region: o.region, credentials: credentials(o), ...(aws ? {} : { endpoint: o.endpoint }) });
}
