import fs from 'node:fs/promises';
import path from 'node:path';
import { cwlJob } from './cwl-doc.js';
import type { EngineAdapter, RunContext, TaskSink } from './engine.js';
import { toilErrors, toilTasks } from './toil-log.js';

/**
 * CWL through Toil (`toil-cwl-runner`, Debian package `toil`): the same job file as cwltool, a
 * file job store in the run dir, Toil's single-machine batch system unless the configured command
 * says otherwise (e.g. `--engine-toil-cwl "toil-cwl-runner --batchSystem slurm"`).
 */
export class ToilCwlAdapter implements EngineAdapter {
  readonly id = 'toil-cwl-runner';
  readonly family = 'CWL' as const;

  constructor(readonly argv: string[]) {}

  async prepare(ctx: RunContext, params: Record<string, unknown>) {
    await fs.writeFile(ctx.inputsPath, JSON.stringify(await cwlJob(ctx, params), null, 2));
    const tmp = `${ctx.tmpDir}${path.sep}`;
    return {
      args: [
        '--jobStore', path.join(ctx.tmpDir, 'toil-jobstore'),
        '--workDir', ctx.tmpDir,
        '--outdir', ctx.outDir,
        '--tmpdir-prefix', tmp,
        '--tmp-outdir-prefix', tmp,
        ...(ctx.containers ? [] : ['--no-container']),
        ctx.mainPath,
        ctx.inputsPath,
      ],
    };
  }

  tasks(ctx: RunContext, sink: TaskSink) {
    const mainBase = path.basename(ctx.mainPath);
    return toilTasks(sink, (kind, display) => {
      if (kind !== 'CWLJob') return undefined;
      // Toil names a step's job `<main file>.<step>.<tool file>`; a tool run on its own, by its file.
      let name = display.startsWith(`${mainBase}.`) ? display.slice(mainBase.length + 1) : display;
      const step = /^(.+?)\.[^.]+\.cwl$/.exec(name);
      if (step && name !== mainBase) name = step[1];
      return name || mainBase;
    });
  }

  errorSummary(stderr: string[]) {
    return toilErrors(stderr);
  }
}
