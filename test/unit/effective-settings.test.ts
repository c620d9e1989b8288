import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { effectiveRunRequest } from '../../src/domain/batches/effective-settings.js';

/** A deep, independent copy to compare inputs against after the call. */
const clone = <T>(v: T): T => structuredClone(v);

const baseDefaults = () => ({
  workflowId: '1234567',
  roleArn: 'arn:aws:iam::123456789012:role/omics',
  name: 'default-name',
  outputUri: 's3://bucket/default/',
  priority: 5,
  outputBucketOwnerId: '111111111111',
  engineSettings: { memory: 'low' },
  storageType: 'DYNAMIC',
  parameters: { input: 's3://bucket/in', threads: 4 },
  runTags: { team: 'genomics', env: 'prod' },
  sessionPolicy: '{"Version":"2012-10-17"}',
});

describe('effectiveRunRequest', () => {
  it('with an empty entry, is the defaults minus batch-only members, runTags becoming tags', () => {
    const d = baseDefaults();
    const run = effectiveRunRequest(d, {});
    assert.deepEqual(run, {
      workflowId: '1234567',
      roleArn: 'arn:aws:iam::123456789012:role/omics',
      name: 'default-name',
      outputUri: 's3://bucket/default/',
      priority: 5,
      outputBucketOwnerId: '111111111111',
      engineSettings: { memory: 'low' },
      storageType: 'DYNAMIC',
      parameters: { input: 's3://bucket/in', threads: 4 },
      tags: { team: 'genomics', env: 'prod' },
    });
  });

  it('never passes runTags or sessionPolicy through as such', () => {
    const run = effectiveRunRequest(baseDefaults(), { runTags: { extra: 'x' } });
    assert.equal('runTags' in run, false);
    assert.equal('sessionPolicy' in run, false);
    // Even when the defaults have nothing else to say about tags.
    const bare = effectiveRunRequest({ workflowId: '1', sessionPolicy: 'p', runTags: undefined }, {});
    assert.equal('sessionPolicy' in bare, false);
    assert.equal('runTags' in bare, false);
    assert.equal('tags' in bare, false);
  });

  for (const [key, value] of [
    ['name', 'entry-name'],
    ['outputUri', 's3://bucket/entry/'],
    ['priority', 0],
    ['outputBucketOwnerId', '222222222222'],
    ['engineSettings', { cpu: 'high' }],
  ] as const) {
    it(`the entry's ${key} replaces the default one (no merge)`, () => {
      const run = effectiveRunRequest(baseDefaults(), { [key]: value });
      assert.deepEqual(run[key], value);
    });

    it(`the entry's ${key} applies even when the defaults have none`, () => {
      const d: Record<string, unknown> = baseDefaults();
      delete d[key];
      const run = effectiveRunRequest(d, { [key]: value });
      assert.deepEqual(run[key], value);
    });

    it(`a null ${key} in the entry means absent: the default one stays`, () => {
      const run = effectiveRunRequest(baseDefaults(), { [key]: null });
      assert.deepEqual(run[key], baseDefaults()[key]);
    });
  }

  it('priority 0 in the entry is a value, not absent', () => {
    const run = effectiveRunRequest({ ...baseDefaults(), priority: 7 }, { priority: 0 });
    assert.equal(run.priority, 0);
  });

  it('engineSettings are replaced wholesale, not merged', () => {
    const run = effectiveRunRequest({ engineSettings: { a: 1, b: 2 } }, { engineSettings: { b: 3 } });
    assert.deepEqual(run.engineSettings, { b: 3 });
  });

  it('ignores entry members that are not the replaced ones (runSettingId, workflowId, roleArn, sessionPolicy, tags)', () => {
    const run = effectiveRunRequest(baseDefaults(), {
      runSettingId: 'entry-1',
      workflowId: '9999999',
      roleArn: 'arn:aws:iam::999999999999:role/evil',
      storageType: 'STATIC',
      sessionPolicy: 'entry-policy',
      tags: { sneaky: 'yes' },
    });
    assert.equal('runSettingId' in run, false);
    assert.equal(run.workflowId, '1234567');
    assert.equal(run.roleArn, 'arn:aws:iam::123456789012:role/omics');
    assert.equal(run.storageType, 'DYNAMIC');
    assert.equal('sessionPolicy' in run, false);
    assert.deepEqual(run.tags, { team: 'genomics', env: 'prod' });
  });

  it('merges parameters one level deep, the entry winning on equal keys', () => {
    const run = effectiveRunRequest(baseDefaults(), { parameters: { threads: 16, sample: 'S1' } });
    assert.deepEqual(run.parameters, { input: 's3://bucket/in', threads: 16, sample: 'S1' });
  });

  it('the parameter merge is shallow: a nested object in the entry replaces the default one', () => {
    const run = effectiveRunRequest({ parameters: { opts: { a: 1, b: 2 }, keep: true } }, { parameters: { opts: { b: 3 } } });
    assert.deepEqual(run.parameters, { opts: { b: 3 }, keep: true });
  });

  it('takes the entry parameters when the defaults have none, and the defaults when the entry has none', () => {
    assert.deepEqual(effectiveRunRequest({ workflowId: '1' }, { parameters: { a: 1 } }).parameters, { a: 1 });
    assert.deepEqual(effectiveRunRequest({ parameters: { a: 1 } }, {}).parameters, { a: 1 });
    assert.equal('parameters' in effectiveRunRequest({ workflowId: '1' }, {}), false);
  });

  it('treats null parameters as absent on either side', () => {
    assert.deepEqual(effectiveRunRequest({ parameters: { a: 1 } }, { parameters: null }).parameters, { a: 1 });
    assert.deepEqual(effectiveRunRequest({ parameters: null }, { parameters: { b: 2 } }).parameters, { b: 2 });
    assert.equal('parameters' in effectiveRunRequest({ workflowId: '1' }, { parameters: null }), false);
  });

  it('non-object parameters (string, number, array) in the entry replace the defaults', () => {
    assert.equal(effectiveRunRequest({ parameters: { a: 1 } }, { parameters: 'text' }).parameters, 'text');
    assert.equal(effectiveRunRequest({ parameters: { a: 1 } }, { parameters: 42 }).parameters, 42);
    assert.deepEqual(effectiveRunRequest({ parameters: { a: 1 } }, { parameters: ['x', 'y'] }).parameters, ['x', 'y']);
  });

  it('an object in the entry replaces non-object default parameters instead of merging into them', () => {
    assert.deepEqual(effectiveRunRequest({ parameters: ['x'] }, { parameters: { a: 1 } }).parameters, { a: 1 });
    assert.deepEqual(effectiveRunRequest({ parameters: 'text' }, { parameters: { a: 1 } }).parameters, { a: 1 });
  });

  it('array parameters on both sides are not merged index-wise', () => {
    const run = effectiveRunRequest({ parameters: ['a', 'b', 'c'] }, { parameters: ['z'] });
    assert.deepEqual(run.parameters, ['z']);
  });

  it('merges runTags of the defaults and the entry into tags, the entry winning', () => {
    const run = effectiveRunRequest(baseDefaults(), { runTags: { env: 'dev', sample: 'S1' } });
    assert.deepEqual(run.tags, { team: 'genomics', env: 'dev', sample: 'S1' });
  });

  it('uses the entry runTags as tags when the defaults have none (or null)', () => {
    assert.deepEqual(effectiveRunRequest({ workflowId: '1' }, { runTags: { a: 'b' } }).tags, { a: 'b' });
    assert.deepEqual(effectiveRunRequest({ runTags: null }, { runTags: { a: 'b' } }).tags, { a: 'b' });
  });

  it('keeps the default runTags as tags when the entry runTags are null', () => {
    assert.deepEqual(effectiveRunRequest({ runTags: { a: 'b' } }, { runTags: null }).tags, { a: 'b' });
  });

  it('has no tags when neither side has runTags', () => {
    assert.equal('tags' in effectiveRunRequest({ workflowId: '1' }, {}), false);
    assert.equal('tags' in effectiveRunRequest({ runTags: null }, { runTags: null }), false);
  });

  it('does not mutate the defaults or the entry', () => {
    const d = baseDefaults();
    const e = { name: 'n', parameters: { threads: 1, x: 2 }, runTags: { env: 'dev' }, engineSettings: { z: 1 } };
    const dBefore = clone(d);
    const eBefore = clone(e);
    const run = effectiveRunRequest(d, e);
    assert.deepEqual(d, dBefore);
    assert.deepEqual(e, eBefore);
    // The merged objects are new ones, so changing the result leaves the inputs alone.
    (run.parameters as Record<string, unknown>).threads = 99;
    (run.tags as Record<string, unknown>).env = 'changed';
    assert.deepEqual(d, dBefore);
    assert.deepEqual(e, eBefore);
  });

  it('gives every entry of a batch its own result from the same defaults', () => {
    const d = baseDefaults();
    const a = effectiveRunRequest(d, { name: 'a', parameters: { sample: 'A' } });
    const b = effectiveRunRequest(d, { priority: 1 });
    assert.equal(a.name, 'a');
    assert.equal(b.name, 'default-name');
    assert.deepEqual(b.parameters, { input: 's3://bucket/in', threads: 4 });
    assert.deepEqual(a.parameters, { input: 's3://bucket/in', threads: 4, sample: 'A' });
  });
});
