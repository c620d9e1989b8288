import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SIMULATE_KEY, parameterProblem } from '../../src/domain/runs/parameters.js';
import type { ParameterSpec } from '../../src/domain/model.js';

const NOT_OBJECT = 'parameters must be a JSON object of parameter names to values';

/** A template as a workflow stores it: parsed from JSON, so a plain object. */
const template = (): Record<string, ParameterSpec> =>
  JSON.parse('{"input":{"description":"reads"},"reference":{"optional":false},"threads":{"optional":true},"label":{"description":"x","optional":true}}');

describe('parameterProblem', () => {
  it('the exempt key is __omicsd_simulate', () => {
    assert.equal(SIMULATE_KEY, '__omicsd_simulate');
  });

  describe('without a template', () => {
    for (const [name, params] of [
      ['absent', undefined],
      ['an empty object', {}],
      ['any keys', { anything: 1, nested: { deep: [1, 2] } }],
      ['the simulate key', { [SIMULATE_KEY]: { fail: true } }],
    ] as const) {
      it(`accepts ${name}`, () => {
        assert.equal(parameterProblem(undefined, params), undefined);
      });
    }

    for (const [name, params] of [
      ['null', null],
      ['an array', [1, 2]],
      ['an empty array', []],
      ['a string', 'input=1'],
      ['an empty string', ''],
      ['a number', 0],
      ['a boolean', false],
    ] as const) {
      it(`refuses ${name}`, () => {
        assert.equal(parameterProblem(undefined, params), NOT_OBJECT);
      });
    }
  });

  describe('with a template', () => {
    it('accepts every parameter of the template', () => {
      assert.equal(parameterProblem(template(), { input: 's3://b/r.fq', reference: 'hg38', threads: 8, label: 'x' }), undefined);
    });

    it('accepts the required ones alone: optional ones may be absent', () => {
      assert.equal(parameterProblem(template(), { input: 's3://b/r.fq', reference: 'hg38' }), undefined);
    });

    it('counts a required parameter given as null or false as present', () => {
      assert.equal(parameterProblem(template(), { input: null, reference: false }), undefined);
    });

    it('still refuses non-object parameters, before looking at the template', () => {
      assert.equal(parameterProblem(template(), ['input', 'reference']), NOT_OBJECT);
      assert.equal(parameterProblem(template(), null), NOT_OBJECT);
      assert.equal(parameterProblem(template(), 'input'), NOT_OBJECT);
    });

    it('lists every unknown key, in the order given', () => {
      const problem = parameterProblem(template(), { input: 'a', zeta: 1, reference: 'b', alpha: 2 });
      assert.equal(problem, "Parameters not in the workflow's parameter template: zeta, alpha");
    });

    it('matches names exactly (case-sensitive)', () => {
      const problem = parameterProblem(template(), { input: 'a', reference: 'b', Threads: 2 });
      assert.equal(problem, "Parameters not in the workflow's parameter template: Threads");
    });

    it('lists every missing required parameter, in template order', () => {
      assert.equal(parameterProblem(template(), { threads: 2 }), 'Missing required parameters: input, reference');
      assert.equal(parameterProblem(template(), { reference: 'b' }), 'Missing required parameters: input');
    });

    it('treats absent parameters as an empty object', () => {
      assert.equal(parameterProblem(template(), undefined), 'Missing required parameters: input, reference');
      assert.equal(parameterProblem(template(), {}), 'Missing required parameters: input, reference');
    });

    it('accepts absent parameters when every template parameter is optional', () => {
      const allOptional: Record<string, ParameterSpec> = { a: { optional: true }, b: { optional: true } };
      assert.equal(parameterProblem(allOptional, undefined), undefined);
      assert.equal(parameterProblem(allOptional, {}), undefined);
    });

    it('treats a spec without `optional` (or optional: false) as required', () => {
      assert.equal(parameterProblem({ a: {} }, {}), 'Missing required parameters: a');
      assert.equal(parameterProblem({ a: { optional: false } }, {}), 'Missing required parameters: a');
    });

    it('an empty template accepts no parameters at all (it is not the same as no template)', () => {
      assert.equal(parameterProblem({}, {}), undefined);
      assert.equal(parameterProblem({}, undefined), undefined);
      assert.equal(parameterProblem({}, { a: 1 }), "Parameters not in the workflow's parameter template: a");
      assert.equal(parameterProblem({}, { [SIMULATE_KEY]: 1 }), undefined);
    });

    it('reports unknown keys first, when some are also missing', () => {
      assert.equal(parameterProblem(template(), { bogus: 1 }), "Parameters not in the workflow's parameter template: bogus");
    });

    it('exempts the simulate key from the unknown-key check', () => {
      assert.equal(parameterProblem(template(), { input: 'a', reference: 'b', [SIMULATE_KEY]: { outcome: 'FAILED' } }), undefined);
    });

    it('does not let the simulate key stand in for a required parameter', () => {
      assert.equal(parameterProblem(template(), { [SIMULATE_KEY]: {} }), 'Missing required parameters: input, reference');
    });

    it('does not exempt keys that merely resemble the simulate key', () => {
      const problem = parameterProblem(template(), { input: 'a', reference: 'b', __omicsd_simulated: 1, __OMICSD_SIMULATE: 1 });
      assert.equal(problem, "Parameters not in the workflow's parameter template: __omicsd_simulated, __OMICSD_SIMULATE");
    });

    it('does not modify the parameters or the template', () => {
      const t = template();
      const p = { input: 'a', [SIMULATE_KEY]: 1, extra: 2 };
      const tBefore = structuredClone(t);
      const pBefore = structuredClone(p);
      parameterProblem(t, p);
      assert.deepEqual(t, tBefore);
      assert.deepEqual(p, pBefore);
    });

    it(
      'lists keys that are names of Object.prototype members as unknown',
      () => {
        const problem = parameterProblem(template(), { input: 'a', reference: 'b', constructor: 1, toString: 2 });
        assert.equal(problem, "Parameters not in the workflow's parameter template: constructor, toString");
        const fromJson = JSON.parse('{"input":"a","reference":"b","__proto__":{"x":1}}');
        assert.equal(parameterProblem(template(), fromJson), "Parameters not in the workflow's parameter template: __proto__");
      },
    );
  });
});
