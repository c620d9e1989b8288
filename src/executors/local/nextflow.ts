import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { isNoise, type EngineAdapter, type RunContext, type TaskSink, type TaskTracker } from './engine.js';
import { stageStrings } from './wdl-inputs.js';

/**
 * Nextflow: `nextflow run main.nf -params-file inputs.json -work-dir <runDir>/tmp/work -ansi-log false`,
 * started in `<runDir>/tmp/` (where its `.nextflow/` and `.nextflow.log` go).
 * Parameters go to the params file with s3:// values staged; `outdir` is set to the run's output
 * folder unless the run gives one (the nf-core convention; HealthOmics' own is publishDir
 * /mnt/workflow/pubdir, which a local run cannot write). Tasks come from the
 * `[ab/123456] Submitted process > NAME (1)` lines and the trace file written with -with-trace.
 */
export class NextflowAdapter implements EngineAdapter {
  readonly id = 'nextflow';
  readonly family = 'NEXTFLOW' as const;

  constructor(readonly argv: string[]) {}

  async prepare(ctx: RunContext, params: Record<string, unknown>) {
    const staged = (await stageStrings(params, ctx)) as Record<string, unknown>;
    if (staged.outdir === undefined) staged.outdir = ctx.outDir;
    await fs.writeFile(ctx.inputsPath, JSON.stringify(staged, null, 2));
    return {
      args: [
        'run', ctx.mainPath,
        '-params-file', ctx.inputsPath,
        '-work-dir', path.join(ctx.tmpDir, 'work'),
        '-with-trace', path.join(ctx.tmpDir, 'trace.txt'),
        '-ansi-log', 'false',
      ],
      env: { NXF_ANSI_LOG: 'false' },
    };
  }

  tasks(ctx: RunContext, sink: TaskSink): TaskTracker {
    const open = new Set<string>();
    return {
      line(line) {
        const m = /^\[[0-9a-f]{2}\/[0-9a-f]{6}\] Submitted process > (.+)$/.exec(line.trim());
        if (!m || open.has(m[1])) return;
        open.add(m[1]);
        sink({ name: m[1].slice(0, 128), status: 'RUNNING', at: Date.now(), cpus: 1, memory: 1 });
      },
      finish(success) {
        const at = Date.now();
        const final = new Map<string, boolean>();
        // trace.txt: tab-separated, header `task_id hash native_id name status exit …`.
        try {
          const text = readFileSync(path.join(ctx.tmpDir, 'trace.txt'), 'utf8');
          const [header, ...rows] = text.split('\n').filter(Boolean);
          const cols = header.split('\t');
          const nameCol = cols.indexOf('name');
          const statusCol = cols.indexOf('status');
          for (const row of rows) {
            const f = row.split('\t');
            if (nameCol >= 0 && statusCol >= 0) final.set(f[nameCol], f[statusCol] === 'COMPLETED' || f[statusCol] === 'CACHED');
          }
        } catch {
          // no trace: settle by the run's outcome
        }
        for (const name of new Set([...open, ...final.keys()])) {
          const ok = final.get(name) ?? success;
          sink({ name: name.slice(0, 128), status: ok ? 'COMPLETED' : 'FAILED', at, ...(ok ? {} : { failureReason: 'TASK_FAILED' }) });
        }
        open.clear();
      },
    };
  }

  errorSummary(stderr: string[], stdout: string[]) {
    const lines = [...stdout, ...stderr].filter((l) => !isNoise(l));
    const err = lines.findIndex((l) => /^ERROR ~/.test(l));
    return (err >= 0 ? lines.slice(err) : lines).slice(-40).join('\n');
  }
}

