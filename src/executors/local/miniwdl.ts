import fs from 'node:fs/promises';
import path from 'node:path';
import { isNoise, type EngineAdapter, type RunContext } from './engine.js';
import { wdlInputs } from './wdl-inputs.js';

/**
 * WDL through miniwdl (`pip install miniwdl`): `miniwdl run main.wdl -i inputs.json --dir <runDir>/miniwdl/.`.
 * miniwdl runs every task in a container (docker by default) and links its outputs under
 * `<dir>/out/`, which is what gets exported. miniwdl's log is not read for tasks yet: a miniwdl run
 * reports no tasks.
 */
export class MiniwdlAdapter implements EngineAdapter {
  readonly id = 'miniwdl';
  readonly family = 'WDL' as const;

  constructor(readonly argv: string[]) {}

  async prepare(ctx: RunContext, params: Record<string, unknown>) {
    await fs.writeFile(ctx.inputsPath, JSON.stringify(await wdlInputs(ctx, params), null, 2));
    // `DIR/.` makes miniwdl use DIR itself rather than a timestamped folder inside it.
    const dir = path.dirname(ctx.outDir);
    return { args: ['run', ctx.mainPath, '-i', ctx.inputsPath, '--dir', `${dir}${path.sep}.`], env: { NO_COLOR: '1' } };
  }

  /** miniwdl creates `<dir>/out` itself: only `<dir>` is made beforehand. */
  outDirFor(runDir: string) {
    return path.join(runDir, 'miniwdl', 'out');
  }

  tasks() {
    return { line() {}, finish() {} };
  }

  errorSummary(stderr: string[], stdout: string[]) {
    return [...stderr, ...stdout].filter((l) => !isNoise(l)).slice(-30).join('\n');
  }
}
