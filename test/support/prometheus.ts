// The metrics text parsed by the Prometheus project's own parser (prometheus_client for Python, from
// Debian's python3-prometheus-client, which .ci/run installs), not by a parser of ours.
import { execFileSync, spawnSync } from 'node:child_process';

/** The `skip` option of the metrics tests: never in CI (there they must run), else when the parser is missing. */
export const prometheusSkip: false | string = process.env.CI ? false
  : spawnSync('/usr/bin/python3', ['-c', 'import prometheus_client']).status === 0 ? false
    : 'the Prometheus parser is not installed: apt-get install python3-prometheus-client (CI installs it)';

export interface Sample {
  family: string;
  type: string;
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SCRIPT = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    for s in f.samples:
        out.append({"family": f.name, "type": f.type, "name": s.name, "labels": s.labels, "value": s.value})
print(json.dumps(out))
`;

/** Every sample of a Prometheus text exposition; throws when the text does not parse. */
export function parsePrometheus(text: string): Sample[] {
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', SCRIPT], { input: text, encoding: 'utf8' })) as Sample[];
}
