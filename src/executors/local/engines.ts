import path from 'node:path';
import type { WorkflowLanguage } from '../../domain/workflows/languages.js';
import { CwltoolAdapter } from './cwltool.js';
import { resolveCommand, type EngineAdapter } from './engine.js';
import { MiniwdlAdapter } from './miniwdl.js';
import { NextflowAdapter } from './nextflow.js';
import { ToilCwlAdapter } from './toil-cwl.js';
import { ToilWdlAdapter } from './toil-wdl.js';

/** Engine commands as configured (`--engine-cwl` …, Config.engines); undefined = look for the default on PATH. */
export interface EngineCommands {
  cwl?: string;
  toilCwl?: string;
  wdl?: string;
  nextflow?: string;
}

export type EngineLookup =
  | { found: true; adapter: EngineAdapter }
  | { found: false; family: WorkflowLanguage; message: string; looked: string };

const INSTALL: Record<WorkflowLanguage, string> = {
  CWL: 'install cwltool (apt-get install cwltool) or Toil (apt-get install toil, for toil-cwl-runner)',
  // Debian's toil only recommends python3-wdlparse, without which toil-wdl-runner cannot parse WDL.
  WDL: 'install toil-wdl-runner (apt-get install toil python3-wdlparse) or miniwdl (pip install miniwdl)',
  NEXTFLOW: 'install Nextflow (a Java 17+ runtime and the nextflow launcher on PATH)',
};

const FLAG: Record<WorkflowLanguage, string> = { CWL: '--engine-cwl', WDL: '--engine-wdl', NEXTFLOW: '--engine-nextflow' };

const looksLikeToil = (argv: string[]) => path.basename(argv[0]).startsWith('toil');

/**
 * Which engine runs each language, looked up afresh for every run (an engine installed while
 * omicsd runs is used from the next run on):
 *  - CWL: `engines.cwl` when set (a command whose name starts with `toil` is driven as Toil);
 *    else `engines.toilCwl` when set; else cwltool on PATH; else toil-cwl-runner on PATH.
 *  - WDL: `engines.wdl` when set (toil-wdl-runner or miniwdl, by name); else miniwdl on PATH;
 *    else toil-wdl-runner on PATH.
 *  - Nextflow: `engines.nextflow`, else nextflow on PATH.
 * A configured command that cannot be found is not replaced by another engine: the run fails
 * naming that command. Found is not the same as working: engine-probe.ts checks that.
 */
export function lookupEngine(family: WorkflowLanguage, commands: EngineCommands): EngineLookup {
  const configured = (cmd: string, flag: string, make: (argv: string[]) => EngineAdapter): EngineLookup => {
    const argv = resolveCommand(cmd);
    if (argv) return { found: true, adapter: make(argv) };
    return { found: false, family, looked: cmd, message: `The ${family} engine command "${cmd}" (${flag}) was not found: ${INSTALL[family]}, or point ${flag} at an installed engine` };
  };
  const onPath = (candidates: [string, (argv: string[]) => EngineAdapter][]): EngineLookup => {
    for (const [name, make] of candidates) {
      const argv = resolveCommand(name);
      if (argv) return { found: true, adapter: make(argv) };
    }
    const names = candidates.map(([n]) => n).join(' or ');
    return { found: false, family, looked: names, message: `No ${family} engine is installed (looked for ${names} on PATH): ${INSTALL[family]}, or set ${FLAG[family]}` };
  };
  switch (family) {
    case 'CWL':
      if (commands.cwl) return configured(commands.cwl, '--engine-cwl', (a) => (looksLikeToil(a) ? new ToilCwlAdapter(a) : new CwltoolAdapter(a)));
      if (commands.toilCwl) return configured(commands.toilCwl, '--engine-toil-cwl', (a) => new ToilCwlAdapter(a));
      return onPath([['cwltool', (a) => new CwltoolAdapter(a)], ['toil-cwl-runner', (a) => new ToilCwlAdapter(a)]]);
    case 'WDL':
      if (commands.wdl) return configured(commands.wdl, '--engine-wdl', (a) => (looksLikeToil(a) ? new ToilWdlAdapter(a) : new MiniwdlAdapter(a)));
      return onPath([['miniwdl', (a) => new MiniwdlAdapter(a)], ['toil-wdl-runner', (a) => new ToilWdlAdapter(a)]]);
    case 'NEXTFLOW':
      if (commands.nextflow) return configured(commands.nextflow, '--engine-nextflow', (a) => new NextflowAdapter(a));
      return onPath([['nextflow', (a) => new NextflowAdapter(a)]]);
  }
}
