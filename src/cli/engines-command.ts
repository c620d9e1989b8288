import { Option, type Command } from 'commander';
import { reportEngines, reportLine } from '../executors/local/engine-probe.js';
import { envOption } from './options.js';

/**
 * `omicsd engines`: which engine runs each language under these options (the same `--engine-*`
 * options and OMICSD_ENGINE_* variables as `omicsd serve`), and whether it works — each found engine
 * is run (engine-probe.ts). Exit code 1 when a found engine is broken; missing engines are fine.
 */
export function addEnginesCommand(program: Command) {
  program
    .command('engines')
    .description('check the workflow engines the local executor would use: ok with its version, missing (and how to install it), or BROKEN (and the fix)')
    .addOption(envOption('--engine-cwl <cmd>', 'CWL engine command (default: cwltool on PATH)', 'ENGINE_CWL'))
    .addOption(envOption('--engine-toil-cwl <cmd>', 'alternative CWL engine command, used when --engine-cwl is absent (default: toil-cwl-runner on PATH)', 'ENGINE_TOIL_CWL'))
    .addOption(envOption('--engine-wdl <cmd>', 'WDL engine command (default: miniwdl or toil-wdl-runner on PATH)', 'ENGINE_WDL'))
    .addOption(envOption('--engine-nextflow <cmd>', 'Nextflow command (default: nextflow on PATH)', 'ENGINE_NEXTFLOW'))
    .addOption(new Option('--output <format>', 'text: one line per language; json: an array of reports').choices(['text', 'json']).default('text'))
    .action(async (o) => {
      const reports = await reportEngines({ cwl: o.engineCwl, toilCwl: o.engineToilCwl, wdl: o.engineWdl, nextflow: o.engineNextflow });
      process.stdout.write(o.output === 'json' ? `${JSON.stringify(reports, null, 2)}\n` : reports.map((r) => `${reportLine(r)}\n`).join(''));
      if (reports.some((r) => r.status === 'broken')) process.exitCode = 1;
    });
}
