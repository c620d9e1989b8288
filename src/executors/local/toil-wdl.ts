import fs from 'node:fs/promises';
import path from 'node:path';
import type { EngineAdapter, RunContext, TaskSink } from './engine.js';
import { toilErrors, toilTasks } from './toil-log.js';
import { wdlInputs } from './wdl-inputs.js';

/**
 * WDL through Toil's `toil-wdl-runner` (Debian package `toil`; Toil 5.9 compiles the WDL to a Toil
 * script). Tasks with a `docker` runtime run in docker; the others on the host. Outputs go to
 * `-o <outDir>`.
 */
export class ToilWdlAdapter implements EngineAdapter {
  readonly id = 'toil-wdl-runner';
  readonly family = 'WDL' as const;

  constructor(readonly argv: string[]) {}

  async prepare(ctx: RunContext, params: Record<string, unknown>) {
    await fs.writeFile(ctx.inputsPath, JSON.stringify(await wdlInputs(ctx, params), null, 2));
    return {
      args: [ctx.mainPath, ctx.inputsPath, '--jobStore', path.join(ctx.tmpDir, 'toil-jobstore'), '-o', ctx.outDir],
    };
  }

  tasks(_ctx: RunContext, sink: TaskSink) {
    // Toil 5.9 turns each WDL task into a job class named `<task>Cls`.
    return toilTasks(sink, (kind) => (kind.endsWith('Cls') && kind.length > 3 ? kind.slice(0, -3) : undefined));
  }

  errorSummary(stderr: string[]) {
    return toilErrors(stderr);
  }
}
