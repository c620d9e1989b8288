// Definition handling shared by CreateWorkflow and the local executor (docs/workflows.md): zip
// reading, main-file rules, languages, declared inputs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { strToU8, zipSync } from 'fflate';
import { DEFINITION_LIMITS, DefinitionError, findMainFile, readDefinitionZip } from '../../src/domain/workflows/definition-zip.js';
import { inspectDefinition } from '../../src/domain/workflows/inspect-definition.js';
import { languageOf, languageOfFile } from '../../src/domain/workflows/languages.js';
import { declaredInputs } from '../../src/domain/workflows/parameter-templates.js';

const zip = (files: Record<string, string | Uint8Array>) =>
  zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, typeof v === 'string' ? strToU8(v) : v])));
const refused = (re: RegExp) => (err: unknown) => err instanceof DefinitionError && re.test(err.message);

const CWL = `cwlVersion: v1.2
class: CommandLineTool
baseCommand: wc
inputs:
  reads: File
  more: File[]
  ref: {type: Directory, doc: "the reference"}
  maybe: [ "null", File ]
  threads: {type: int, default: 2}
  label: string?
outputs: []
`;

const WDL = `version 1.0
workflow count {
  input {
    File reads
    Array[File]+ lanes
    String sample
    Int threads = 4
    File? index
  }
}
`;

describe('readDefinitionZip', () => {
  it('returns the files, without folder entries', async () => {
    const files = await readDefinitionZip(zip({ 'main.cwl': 'a', 'tools/x.cwl': 'b', 'tools/': '' }));
    assert.deepEqual(Object.keys(files).sort(), ['main.cwl', 'tools/x.cwl']);
    assert.equal(Buffer.from(files['tools/x.cwl']).toString(), 'b');
  });

  for (const [what, files, re] of [
    ['an entry that climbs out', { '../evil.cwl': 'x' }, /points outside the definition folder/],
    ['an absolute entry', { '/etc/evil.cwl': 'x' }, /points outside the definition folder/],
    ['a name that is both a file and a folder', { a: 'x', 'a/b': 'y' }, /"a" is both a file and a folder/],
    ['a control character in a name', { 'ma\u0001in.cwl': 'x' }, /holds a control character/],
  ] as const) {
    it(`refuses ${what}`, async () => {
      await assert.rejects(readDefinitionZip(zip(files as Record<string, string>)), refused(re));
    });
  }

  it('refuses what is not a zip, and a cut-short one', async () => {
    await assert.rejects(readDefinitionZip(strToU8('not a zip at all')), refused(/not a valid zip archive/));
    const whole = zip({ 'main.cwl': 'x'.repeat(10_000) });
    await assert.rejects(readDefinitionZip(whole.subarray(0, 60)), refused(/not a valid zip archive/));
  });

  it('stops a bomb at the real uncompressed size, whatever its headers say', async () => {
    const bomb = zipSync({ 'main.cwl': new Uint8Array(DEFINITION_LIMITS.bytes + 1) }, { level: 9 });
    assert.ok(bomb.length < 1024 * 1024);
    await assert.rejects(readDefinitionZip(bomb), refused(/expands to more than/));
  });

  it('refuses more entries than the limit', async () => {
    const many = Object.fromEntries(Array.from({ length: DEFINITION_LIMITS.entries + 1 }, (_, i) => [`f${i}.txt`, '']));
    await assert.rejects(readDefinitionZip(zip(many)), refused(/more than 5000 entries/));
  });
});

describe('findMainFile', () => {
  it('takes the named file, exactly or as a path suffix', () => {
    assert.equal(findMainFile(['a/main.wdl', 'b.cwl'], 'main.wdl'), 'a/main.wdl');
    assert.equal(findMainFile(['x/y/z.cwl'], 'y/z.cwl'), 'x/y/z.cwl');
    assert.throws(() => findMainFile(['a.cwl'], 'b.cwl'), refused(/main file b.cwl is not in the definition zip/));
  });

  it('else the only workflow file, else the only main.*', () => {
    assert.equal(findMainFile(['README.md', 'wf.nf'], undefined), 'wf.nf');
    assert.equal(findMainFile(['a.cwl', 'sub/main.cwl'], undefined), 'sub/main.cwl');
    assert.throws(() => findMainFile(['a.cwl', 'b.cwl'], undefined), refused(/several workflow files/));
    assert.throws(() => findMainFile(['README.md'], undefined), refused(/no workflow file/));
  });
});

describe('languages', () => {
  it('by extension, case-insensitively; by engine first', () => {
    assert.equal(languageOfFile('x/MAIN.CWL'), 'CWL');
    assert.equal(languageOfFile('main.nf'), 'NEXTFLOW');
    assert.equal(languageOfFile('main.txt'), undefined);
    assert.equal(languageOf('WDL_LENIENT', 'x.cwl'), 'WDL');
    assert.equal(languageOf(undefined, 'x.wdl'), 'WDL');
    assert.equal(languageOf(undefined, undefined), undefined);
  });
});

describe('declared inputs', () => {
  it('CWL: the template with optional inputs, and which inputs are files or folders', () => {
    const { template, pathInputs } = declaredInputs('CWL', CWL);
    assert.deepEqual(Object.keys(template), ['reads', 'more', 'ref', 'maybe', 'threads', 'label']);
    assert.deepEqual(Object.entries(template).filter(([, s]) => s.optional).map(([n]) => n), ['maybe', 'threads', 'label']);
    assert.equal(template.ref.description, 'the reference');
    assert.deepEqual(pathInputs, ['reads', 'more', 'ref', 'maybe']);
  });

  it('WDL: the input block, defaults and ? optional, File types as paths', () => {
    const { template, pathInputs } = declaredInputs('WDL', WDL);
    assert.deepEqual(Object.keys(template), ['reads', 'lanes', 'sample', 'threads', 'index']);
    assert.deepEqual(Object.entries(template).filter(([, s]) => s.optional).map(([n]) => n), ['threads', 'index']);
    assert.deepEqual(pathInputs, ['reads', 'lanes', 'index']);
  });

  it('Nextflow: params, all optional, no types', () => {
    const { template, pathInputs } = declaredInputs('NEXTFLOW', 'params.input = "x"\nparams.outdir = "out"\nworkflow { }\n');
    assert.deepEqual(template, { input: { description: '', optional: true }, outdir: { description: '', optional: true } });
    assert.equal(pathInputs, undefined);
  });
});

describe('inspectDefinition', () => {
  it('finds the main file and its engine, and derives the template', async () => {
    const found = await inspectDefinition(zip({ 'main.cwl': CWL, 'README.md': 'hi' }), {});
    assert.equal(found.main, 'main.cwl');
    assert.equal(found.engine, 'CWL');
    assert.deepEqual(found.pathInputs, ['reads', 'more', 'ref', 'maybe']);
  });

  it('an engine that contradicts the main file is refused; no inputs means no template', async () => {
    await assert.rejects(inspectDefinition(zip({ 'main.cwl': CWL }), { engine: 'WDL' }), refused(/engine WDL does not match the main file main.cwl/));
    const none = await inspectDefinition(zip({ 'main.nf': 'workflow { }\n' }), {});
    assert.equal(none.parameterTemplate, undefined);
  });

  it('an unreadable main file is refused with the reason', async () => {
    await assert.rejects(inspectDefinition(zip({ 'main.cwl': '- just\n- a list\n' }), {}), refused(/Could not read the inputs of main.cwl/));
  });
});
