import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ElementLocator, JsonArrayFormatError, findJsonSyntaxError, readJsonArrayElements, readJsonArrayElementsWithOffsets, type LocatedElement, type TextPosition,
} from '../../src/settings/json-array-reader.js';
import { prng } from '../support/prng.js';

type Chunk = Buffer | Uint8Array | string;

async function* fromChunks(chunks: Chunk[]): AsyncGenerator<Chunk> {
  for (const c of chunks) yield c;
}

async function collect(chunks: Chunk[], maxElementBytes?: number): Promise<string[]> {
  const out: string[] = [];
  const opts = maxElementBytes === undefined ? undefined : { maxElementBytes };
  for await (const el of readJsonArrayElements(fromChunks(chunks), opts)) out.push(el);
  return out;
}

/** Every chunking we test: whole, as a string, as a Uint8Array, split at every point, and 1-byte chunks. */
function chunkings(input: string | Buffer): { name: string; chunks: Chunk[] }[] {
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const out: { name: string; chunks: Chunk[] }[] = [{ name: 'whole', chunks: [buf] }];
  if (typeof input === 'string') out.push({ name: 'string', chunks: [input] });
  out.push({ name: 'uint8array', chunks: [new Uint8Array(buf)] });
  for (let i = 0; i <= buf.length; i++) {
    out.push({ name: `split@${i}`, chunks: [buf.subarray(0, i), buf.subarray(i)] });
  }
  const bytes: Buffer[] = [];
  for (let i = 0; i < buf.length; i++) bytes.push(buf.subarray(i, i + 1));
  out.push({ name: '1-byte', chunks: bytes });
  return out;
}

/** Asserts parsed elements (and raw texts, if given) for every chunking. */
async function expectElements(input: string | Buffer, expected: unknown[], raw?: string[]): Promise<void> {
  for (const { name, chunks } of chunkings(input)) {
    const texts = await collect(chunks);
    assert.equal(texts.length, expected.length, `${name}: element count`);
    assert.deepEqual(
      texts.map((t) => JSON.parse(t) as unknown),
      expected,
      `${name}: elements`,
    );
    if (raw) assert.deepEqual(texts, raw, `${name}: raw texts`);
  }
}

async function expectError(input: string | Buffer, pattern: RegExp, maxElementBytes?: number): Promise<void> {
  for (const { name, chunks } of chunkings(input)) {
    await assert.rejects(
      collect(chunks, maxElementBytes),
      (err: unknown) => {
        assert.ok(err instanceof JsonArrayFormatError, `${name}: expected JsonArrayFormatError, got ${String(err)}`);
        assert.equal(err.name, 'JsonArrayFormatError');
        assert.match(err.message, pattern, name);
        return true;
      },
      name,
    );
  }
}

describe('readJsonArrayElements: valid input', () => {
  it('splits objects with nested objects and arrays', async () => {
    const value = [
      { a: 1, b: { c: [1, 2, { d: [] }], e: {} } },
      [[[]], [{}], { x: [1, [2, [3]]] }],
      { name: 'wf', params: { list: ['a', 'b'], nested: { deep: { deeper: [null] } } } },
    ];
    await expectElements(JSON.stringify(value), value, value.map((v) => JSON.stringify(v)));
  });

  it('handles quotes, backslashes and escaped quotes inside strings', async () => {
    const value = ['"', '\\', '\\"', '"\\', 'a\\', '\\\\', '\\\\"', '\\\\\\"x', { k: 'x\\' }, { '\\"': '"' }, '\\\\\\\\'];
    const text = JSON.stringify(value);
    // Sanity: the encoded text really contains the tricky sequences.
    assert.ok(text.includes('\\\\\\"'));
    assert.ok(text.includes('\\\\\\\\"'));
    await expectElements(text, value, value.map((v) => JSON.stringify(v)));
  });

  it('handles hand-written even/odd backslash runs before quotes', async () => {
    // Raw JSON: "a\\" (ends string), "b\"" (escaped quote), "c\\\"" (odd run), "d\\\\" (even run).
    const text = String.raw`["a\\", "b\"", "c\\\"", "d\\\\", {"e\\":"f\\\\\""}]`;
    await expectElements(text, ['a\\', 'b"', 'c\\"', 'd\\\\', { 'e\\': 'f\\\\"' }], [
      String.raw`"a\\"`,
      String.raw`"b\""`,
      String.raw`"c\\\""`,
      String.raw`"d\\\\"`,
      String.raw`{"e\\":"f\\\\\""}`,
    ]);
  });

  it('ignores structural characters inside strings', async () => {
    const value = [']', '}', ',', '[', '{', '],[', { 'a]': '}{', b: '[,]' }, ['],', '"]'], 'x,y]'];
    await expectElements(JSON.stringify(value), value, value.map((v) => JSON.stringify(v)));
  });

  it('passes multi-byte UTF-8 through intact across any split', async () => {
    const value = ['é', '漢字', '😀🎉', { 'clé': 'café 漢字 😀' }, ['ñ', '\u2028', '\u{10FFFF}']];
    await expectElements(JSON.stringify(value), value, value.map((v) => JSON.stringify(v)));
  });

  it('keeps \\u escapes as raw text', async () => {
    const text = String.raw`["\u00e9", "\ud83d\ude00", {"k\u0022":"\u005c"}]`;
    await expectElements(text, ['é', '😀', { 'k"': '\\' }], [
      String.raw`"\u00e9"`,
      String.raw`"\ud83d\ude00"`,
      String.raw`{"k\u0022":"\u005c"}`,
    ]);
  });

  it('yields numbers, booleans and null', async () => {
    const text = '[0,-1.5e+10,3.25,true,false,null,12345678901234567890]';
    await expectElements(text, [0, -1.5e10, 3.25, true, false, null, 12345678901234567890], [
      '0',
      '-1.5e+10',
      '3.25',
      'true',
      'false',
      'null',
      '12345678901234567890',
    ]);
  });

  it('trims whitespace and newlines everywhere', async () => {
    const text = ' \r\n\t[ \n 1 \t, \r\n { "a" : [ 1 , 2 ] , "b" : " x " } \n,\n\t"s"\n ,\tnull\r\n] \n\t ';
    await expectElements(text, [1, { a: [1, 2], b: ' x ' }, 's', null], [
      '1',
      '{ "a" : [ 1 , 2 ] , "b" : " x " }',
      '"s"',
      'null',
    ]);
  });

  it('accepts a UTF-8 BOM prefix', async () => {
    await expectElements('\uFEFF[1,{"a":"é"}]', [1, { a: 'é' }], ['1', '{"a":"é"}']);
    await expectElements(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(' \n[2]')]), [2], ['2']);
  });

  it('yields nothing for an empty array', async () => {
    await expectElements('[]', []);
    await expectElements(' \n[ \n\t ] \n', []);
    await expectElements('\uFEFF[]', []);
  });

  it('accepts empty chunks anywhere', async () => {
    const texts = await collect(['', '[', '', '1', '', ',"', '', 'a"', '', ']', '']);
    assert.deepEqual(texts, ['1', '"a"']);
  });

  it('is safe when the source reuses its buffer between chunks', async () => {
    const input = Buffer.from(JSON.stringify([{ a: 'xxxxxxxxxx' }, 'yyyyyyyyyyyy', [1, 2, 3]]));
    const shared = Buffer.alloc(5);
    async function* reusing(): AsyncGenerator<Buffer> {
      for (let i = 0; i < input.length; i += 5) {
        const n = input.copy(shared, 0, i, i + 5);
        yield shared.subarray(0, n);
        shared.fill(0x21);
      }
    }
    const texts: string[] = [];
    for await (const el of readJsonArrayElements(reusing())) texts.push(el);
    assert.deepEqual(texts, ['{"a":"xxxxxxxxxx"}', '"yyyyyyyyyyyy"', '[1,2,3]']);
  });

  it('allows an element of exactly maxElementBytes (whitespace not counted)', async () => {
    const el = JSON.stringify({ a: 'é'.repeat(10) }); // multi-byte: the limit is in bytes
    const size = Buffer.byteLength(el);
    for (const { name, chunks } of chunkings(`[  ${el}  ,1]`)) {
      assert.deepEqual(await collect(chunks, size), [el, '1'], name);
    }
  });
});

describe('readJsonArrayElements: errors', () => {
  it('rejects a top-level object', () => expectError('{"a":[1,2]}', /not an array/));
  it('rejects a top-level number', () => expectError(' 42', /not an array/));
  it('rejects a top-level string', () => expectError('"[1]"', /not an array/));
  it('rejects empty input', () => expectError('', /not an array/));
  it('rejects whitespace-only input', () => expectError(' \n ', /not an array/));
  it('rejects a truncated BOM', () => expectError(Buffer.from([0xef, 0xbb, 0x5b, 0x5d]), /byte order mark/));
  it('rejects a missing closing bracket', async () => {
    await expectError('[1,2', /closing/);
    await expectError('[1,2,', /closing/);
    await expectError('[', /closing/);
    await expectError('[ {"a":1} ', /closing/);
  });
  it('rejects trailing garbage after the closing bracket', async () => {
    await expectError('[1,2] x', /after the closing/);
    await expectError('[1]]', /after the closing/);
    await expectError('[][]', /after the closing/);
    await expectError('[1],', /after the closing/);
  });
  it('rejects [1,,2]', () => expectError('[1,,2]', /empty array element/));
  it('rejects [1,]', () => expectError('[1, ]', /empty array element/));
  it('rejects [,1]', () => expectError('[ ,1]', /empty array element/));
  it('rejects [,]', () => expectError('[,]', /empty array element/));
  it('rejects an unterminated string', async () => {
    await expectError('["abc', /unterminated string/);
    await expectError('["abc\\"]', /unterminated string/);
    await expectError('[{"a":"b\\\\\\"}]', /unterminated string/);
  });
  it('rejects unbalanced brackets', async () => {
    await expectError('[{]', /^unexpected '\]' at byte 2 \(line 1, column 3\)$/);
    await expectError('[[}]', /^unexpected '\}' at byte 2 /);
    await expectError('[{"a":1}}]', /^unexpected '\}' at byte 8 /);
    await expectError('[1}', /^unexpected '\}' at byte 2 /);
    await expectError('[{"a":[1]', /^unclosed '\{' in the element starting at byte 1 \(line 1, column 2\)$/);
  });
  it('rejects an element over maxElementBytes', async () => {
    const el = JSON.stringify({ a: 'x'.repeat(20) });
    const size = Buffer.byteLength(el);
    await expectError(`[1, ${el} ,2]`, /^more than \d+ bytes in the element starting at byte \d+ /, size - 1);
    await expectError(`[${el}]`, /^more than \d+ bytes in the element starting at byte \d+ /, size - 1);
  });
  it('enforces the default 64 MiB limit', async () => {
    const big = Buffer.alloc(64 * 1024 * 1024 + 3, 0x61);
    big[0] = 0x22;
    big[big.length - 1] = 0x22;
    const chunks: Buffer[] = [Buffer.from('[')];
    for (let i = 0; i < big.length; i += 1 << 20) chunks.push(big.subarray(i, i + (1 << 20)));
    chunks.push(Buffer.from(']'));
    await assert.rejects(collect(chunks), JsonArrayFormatError);
    // Exactly at the limit is fine.
    const ok = big.subarray(0, 64 * 1024 * 1024);
    ok[ok.length - 1] = 0x22;
    const texts = await collect([Buffer.from('['), ok, Buffer.from(']')]);
    assert.equal(texts.length, 1);
    assert.equal(texts[0].length, 64 * 1024 * 1024);
  });
});


function generate(rand: () => number, depth: number): unknown {
  const int = (n: number): number => Math.floor(rand() * n);
  const pieces = ['a', 'b', 'z', ' ', '"', '\\', '\\\\', '\\"', ']', '[', '{', '}', ',', ':', 'é', '漢', '😀', '\n', '\t', '\u0001', '/'];
  const str = (): string => {
    let s = '';
    const n = int(rand() < 0.1 ? 200 : 12);
    for (let i = 0; i < n; i++) s += pieces[int(pieces.length)];
    return s;
  };
  const r = depth > 3 ? int(5) : int(7);
  switch (r) {
    case 0:
      return str();
    case 1:
      return rand() < 0.5 ? int(1e6) - 5e5 : (rand() - 0.5) * 1e10;
    case 2:
      return rand() < 0.5;
    case 3:
      return null;
    case 4:
      return str();
    case 5: {
      const arr: unknown[] = [];
      const n = int(6);
      for (let i = 0; i < n; i++) arr.push(generate(rand, depth + 1));
      return arr;
    }
    default: {
      const obj: Record<string, unknown> = {};
      const n = int(6);
      for (let i = 0; i < n; i++) obj[str()] = generate(rand, depth + 1);
      return obj;
    }
  }
}

function randomChunks(buf: Buffer, rand: () => number, maxChunk: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; ) {
    const n = 1 + Math.floor(rand() * maxChunk);
    out.push(buf.subarray(i, i + n));
    i += n;
  }
  return out;
}

describe('readJsonArrayElements: generated data', () => {
  it('matches JSON.parse for 20,000 elements in random-sized chunks', async () => {
    const rand = prng(0x5eed);
    const values: unknown[] = [];
    for (let i = 0; i < 20000; i++) values.push(rand() < 0.8 ? generate(rand, 0) : generate(rand, 5));
    // Compact and indented encodings; raw texts are checked for the compact one.
    for (const indent of [0, 2]) {
      const doc = Buffer.from(JSON.stringify(values, null, indent), 'utf8');
      const whole = JSON.parse(doc.toString('utf8')) as unknown[];
      for (const maxChunk of [7, 300, 70000]) {
        const texts = await collect(randomChunks(doc, rand, maxChunk));
        assert.equal(texts.length, 20000);
        assert.deepEqual(
          texts.map((t) => JSON.parse(t) as unknown),
          whole,
        );
        if (indent === 0) {
          for (let i = 0; i < texts.length; i++) {
            if (texts[i] !== JSON.stringify(values[i])) assert.equal(texts[i], JSON.stringify(values[i]), `element ${i}`);
          }
        }
      }
    }
  });

  it('agrees with JSON.parse on small random documents, valid or not', async () => {
    const rand = prng(42);
    const alphabet = ['[', ']', '{', '}', ',', '"', '\\', ' ', '1', 'a', ':', 'é'];
    let valid = 0;
    for (let n = 0; n < 3000; n++) {
      let text: string;
      if (rand() < 0.5) {
        text = JSON.stringify([generate(rand, 2), generate(rand, 3)]);
        // Mutate one code point sometimes (by code point, so no lone surrogates are created).
        if (rand() < 0.5) {
          const cps = Array.from(text);
          cps[Math.floor(rand() * cps.length)] = alphabet[Math.floor(rand() * alphabet.length)];
          text = cps.join('');
        }
      } else {
        text = '[';
        const len = Math.floor(rand() * 12);
        for (let i = 0; i < len; i++) text += alphabet[Math.floor(rand() * alphabet.length)];
      }
      let expected: unknown[] | undefined;
      try {
        const parsed = JSON.parse(text) as unknown;
        if (Array.isArray(parsed)) expected = parsed;
      } catch {
        expected = undefined;
      }
      const buf = Buffer.from(text, 'utf8');
      for (const chunks of [[buf], randomChunks(buf, rand, 4)]) {
        let texts: string[] | undefined;
        try {
          texts = await collect(chunks);
        } catch (err) {
          assert.ok(err instanceof JsonArrayFormatError, String(err));
        }
        if (expected !== undefined) {
          valid++;
          assert.ok(texts, `splitter rejected valid JSON: ${text}`);
          assert.deepEqual(
            texts.map((t) => JSON.parse(t) as unknown),
            expected,
            text,
          );
        } else if (texts !== undefined) {
          // The splitter may accept invalid JSON, but then some element must fail to parse.
          assert.ok(
            texts.some((t) => {
              try {
                JSON.parse(t);
                return false;
              } catch {
                return true;
              }
            }),
            `splitter accepted invalid JSON with all elements parseable: ${text}`,
          );
        }
      }
    }
    assert.ok(valid > 1000, `only ${valid} valid documents generated`);
  });
});

it('offsets: every element is the exact byte range of its text, whatever the chunking', async () => {
  const { readJsonArrayElementsWithOffsets } = await import('../../src/settings/json-array-reader.js');
  const doc = Buffer.from('\uFEFF [ {"a":"é,]"} ,\n  [1, 2]\t, "漢字\\"" ,null ]  ', 'utf8');
  for (const size of [1, 2, 3, 5, 7, 64]) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < doc.length; i += size) chunks.push(doc.subarray(i, i + size));
    const got = [];
    for await (const e of readJsonArrayElementsWithOffsets((async function* () { yield* chunks; })())) got.push(e);
    assert.deepEqual(got.map((e) => e.text), ['{"a":"é,]"}', '[1, 2]', '"漢字\\""', 'null'], `chunk size ${size}`);
    for (const e of got) assert.equal(doc.toString('utf8', e.start, e.end), e.text, `range of ${e.text} at chunk size ${size}`);
  }
});

/** The position of byte `offset` of `doc`, worked out from the whole text (columns in UTF-16 code units). */
function reference(doc: Buffer, offset: number): TextPosition {
  const before = doc.toString('utf8', 0, offset).replace(/^\uFEFF/, '');
  const lines = before.split('\n');
  return { offset, line: lines.length, column: lines[lines.length - 1].length + 1 };
}

/** Every chunking with chunks of 1 byte up to the whole document. */
function* everyChunkSize(doc: Buffer): Generator<{ size: number; chunks: Buffer[] }> {
  for (let size = 1; size <= doc.length; size++) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < doc.length; i += size) chunks.push(doc.subarray(i, i + size));
    yield { size, chunks };
  }
}

describe('readJsonArrayElements: error positions', () => {
  // `at`: the error is at the last occurrence of this text ('' = the end of the file).
  const cases: [name: string, doc: string, problem: string, at: string, inElement?: boolean][] = [
    ['unexpected brace after LF lines', '[\n  {"a":1},\n  {"b":2}}\n]', "unexpected '}'", '}\n]', false],
    ['CRLF line endings', '[\r\n  {"a":1},\r\n\r\n  {"b":[1}\r\n]', "unexpected '}'", '}\r\n]', false],
    ['multi-byte UTF-8 before the error on its line', '[\n {"é漢😀":"ü"}, {"x":"€"}]]', "unexpected ']' after the closing ']'", ']', false],
    ['multi-byte UTF-8 inside the element', '[{"a":"é漢😀"}]}', "unexpected '}' after the closing ']'", '}', false],
    ['mismatched bracket after a raw line feed in a string', '[{"a":"x\ny", "é":[}]', "unexpected '}'", '}]', false],
    ['empty element', '[\n 1,\n  ,2]', "unexpected ',' (an empty array element)", ',2]', false],
    ['not an array', '\uFEFF \r\n\t"é"', 'top level is not an array: found a string', '"é"', false],
    ['unterminated string', '[\r\n {"a":1},\r\n  {"é":"漢', 'unterminated string', '{"é":"漢', true],
    ['unclosed bracket', '[\n\t"€", {"a":[1, {}]', "unclosed '{'", '{"a":[1', true],
    ['end before the closing bracket', '[\n "é", 12', "the file ends before the closing ']'", '', false],
  ];
  for (const [name, text, problem, at, inElement] of cases) {
    it(`${name}: offset, line and column at every chunk size`, async () => {
      const doc = Buffer.from(text, 'utf8');
      const offset = at === '' ? doc.length : doc.lastIndexOf(Buffer.from(at, 'utf8'));
      const want = reference(doc, offset);
      const where = `byte ${want.offset} (line ${want.line}, column ${want.column})`;
      const message = inElement ? `${problem} in the element starting at ${where}` : `${problem} at ${where}`;
      for (const { size, chunks } of everyChunkSize(doc)) {
        await assert.rejects(collect(chunks), (err: unknown) => {
          assert.ok(err instanceof JsonArrayFormatError, String(err));
          assert.equal(err.message, message, `chunk size ${size}`);
          assert.deepEqual(err.position, want, `chunk size ${size}`);
          assert.equal(err.inElement, inElement);
          return true;
        });
      }
    });
  }

  it('an empty or blank file has no position', async () => {
    for (const text of ['', '  \r\n', '\uFEFF']) {
      await assert.rejects(collect([text]), (err: unknown) => {
        assert.ok(err instanceof JsonArrayFormatError);
        assert.equal(err.message, 'top level is not an array: found an empty file');
        assert.equal(err.found, 'an empty file');
        assert.equal(err.position, undefined);
        return true;
      });
    }
  });

  it('the locator places every character of each element, at every chunk size', async () => {
    const text = '\uFEFF[\r\n {"a":"é"},\r\n  "漢😀\\n x" ,{"b":\n  [1,\n2]}, 3,\r\n\t{"c":"€"}]\n';
    const doc = Buffer.from(text, 'utf8');
    for (const { size, chunks } of everyChunkSize(doc)) {
      const locator = new ElementLocator();
      for await (const el of readJsonArrayElementsWithOffsets((async function* () { yield* chunks; })(), { locator })) {
        for (let i = 0; i < el.text.length; i++) {
          const before = Buffer.byteLength(el.text.slice(0, i));
          assert.deepEqual(locator.position(el, i), reference(doc, el.start + before), `chunk size ${size}, ${el.text} [${i}]`);
        }
      }
    }
  });

  it('keeps no position of an element once the next one is read', async () => {
    const locator = new ElementLocator();
    const seen: LocatedElement[] = [];
    for await (const el of readJsonArrayElementsWithOffsets(fromChunks(['[1,2]']), { locator })) seen.push(el);
    assert.throws(() => locator.position(seen[0]), /until the next element/);
    assert.deepEqual(locator.position(seen[1]), { offset: 3, line: 1, column: 4 });
  });
});

describe('findJsonSyntaxError', () => {
  it('finds the first error and says what is there', () => {
    const cases: [string, number, string][] = [
      ['{"a":}', 5, "unexpected '}'"],
      ['{"a" 1}', 5, "unexpected '1'"],
      ['{a:1}', 1, "unexpected 'a'"],
      ['{"a":True}', 5, "unexpected 'True'"],
      ['{"a":"x\ny"}', 7, 'unescaped control character U+000A in a string'],
      ['{"a":"\\q"}', 6, "invalid escape '\\q' in a string"],
      ['{"a":1,}', 7, "unexpected '}'"],
      ['[1,2', 4, 'unexpected end of the element'],
      ['{"a":1} {"b":2}', 8, "unexpected '{'"],
      ['{"a":01}', 6, "unexpected '1'"],
      ['{"a":[1,2}', 9, "unexpected '}'"],
      ['{"é😀":[1,2}', 11, "unexpected '}'"],
    ];
    for (const [text, index, problem] of cases) {
      assert.throws(() => JSON.parse(text));
      assert.deepEqual(findJsonSyntaxError(text), { index, problem }, text);
    }
  });

  it('finds nothing in valid JSON', () => {
    for (const text of ['{}', '[]', '{"a":[1,{"b":null}],"c":true,"d":false,"e":-0.5e-3,"f":"\\u00e9\\n"}', ' 1 ', '"x"']) {
      assert.equal(findJsonSyntaxError(text), undefined, text);
    }
  });
});
