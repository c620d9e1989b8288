/**
 * Streaming splitter for a JSON document whose top level is an array: yields the raw text of
 * each top-level element so multi-GB files can be processed with bounded memory.
 *
 * Works on bytes: every structural character is ASCII and UTF-8 continuation/lead bytes are
 * always >= 0x80, so multi-byte sequences can never be mistaken for structure.
 *
 * Positions for error messages are kept cheaply, since the stream cannot be read again: the
 * byte-by-byte structural scan counts line feeds and remembers where the current line began, and
 * each element's decoded text tells how many more bytes than characters it has (everything between
 * elements is ASCII), so the column of an element's start is two subtractions away. Anything finer
 * is worked out only when an error happens, from the bytes of the current element.
 *
 * Columns count characters as JavaScript strings do (UTF-16 code units: an emoji or other
 * character outside the Basic Multilingual Plane counts 2), like most editors.
 */

/** A place in the source: byte offset (0-based), line and column (1-based; the column in characters). */
export interface TextPosition {
  offset: number;
  line: number;
  column: number;
}

/** `byte 1234 (line 5, column 7)` */
export const describePosition = (p: TextPosition) => `byte ${p.offset} (line ${p.line}, column ${p.column})`;

export class JsonArrayFormatError extends Error {
  /**
   * @param problem what is wrong, without the position (e.g. `unexpected '}'`)
   * @param position where; for a problem of a whole element, where the element starts
   * @param found for a top level that is not an array: what it is instead (`an object`, `an empty file`, …)
   * @param inElement the position is the start of the element the problem is in
   */
  constructor(
    readonly problem: string,
    readonly position: TextPosition | undefined,
    readonly found?: string,
    readonly inElement = false,
  ) {
    const what = found === undefined ? problem : `${problem}: found ${found}`;
    super(position === undefined ? what
      : inElement ? `${what} in the element starting at ${describePosition(position)}`
      : `${what} at ${describePosition(position)}`);
    this.name = 'JsonArrayFormatError';
  }
}

export interface JsonArrayReaderOptions {
  /** Largest allowed element (trimmed, in UTF-8 bytes). Default 64 MiB. */
  maxElementBytes?: number;
}

const DEFAULT_MAX_ELEMENT_BYTES = 64 * 1024 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const LF = 0x0a;
const BOM = [0xef, 0xbb, 0xbf];

// Parser phases (plain numbers keep the hot path monomorphic).
const START = 0; // before '[' (BOM / whitespace allowed)
const AFTER_OPEN = 1; // just after '[': element or ']'
const BEFORE_ELEMENT = 2; // just after ',': element required
const IN_ELEMENT = 3;
const DONE = 4; // after the closing ']': only whitespace allowed

const EMPTY = Buffer.alloc(0);

function isWs(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/** What a JSON value starting with byte b is, for messages. */
function valueKind(b: number): string {
  if (b === OPEN_BRACE) return 'an object';
  if (b === OPEN_BRACKET) return 'an array';
  if (b === QUOTE) return 'a string';
  if (b === 0x2d || (b >= 0x30 && b <= 0x39)) return 'a number';
  if (b === 0x74 || b === 0x66) return 'a boolean';
  if (b === 0x6e) return 'null';
  return `unexpected ${describeByte(b)}`;
}

/** `'}'` for a printable ASCII byte, `byte 0xc3` otherwise. */
function describeByte(b: number): string {
  return b > 0x20 && b < 0x7f ? `'${String.fromCharCode(b)}'` : `byte 0x${b.toString(16).padStart(2, '0')}`;
}

/** True if the run of backslashes ending just before `end` (not looking below `lo`) is odd. */
function oddBackslashes(buf: Buffer, lo: number, end: number): boolean {
  let i = end - 1;
  while (i >= lo && buf[i] === BACKSLASH) i--;
  return ((end - 1 - i) & 1) === 1;
}

class Splitter {
  private buf: Buffer = EMPTY;
  private pos = 0;
  /** Stream offset of buf[0], for error messages. */
  private base = 0;
  private phase = START;
  private startBytes = 0;
  private bomMatched = 0;
  private inString = false;
  /** The string's next byte (possibly in the next chunk) is escaped. */
  private escapePending = false;
  /** Open brackets/braces of the current element (opening byte values). */
  private readonly stack: number[] = [];
  /** Start of the current element in buf; parts holds any earlier bytes of it. */
  private elemStart = 0;
  private parts: Buffer[] = [];
  private partBytes = 0;
  /** Trailing whitespace bytes at the end of parts (excluded from the size limit). */
  private partTrailingWs = 0;
  /** Line feeds scanned so far (outside strings: a raw one inside a string is invalid JSON anyway). */
  private lines = 0;
  /** Stream offset of the first byte of the current line. */
  private lineStart = 0;
  /** Bytes minus UTF-16 code units from lineStart to the end of the last element (the rest is ASCII). */
  private lineExcess = 0;
  /** Line (0-based) and column of the current or last element's start. */
  private elemLine = 0;
  private elemColumn = 1;
  /** Stream byte range [start, end) of the element last returned by next(). */
  lastStart = 0;
  lastEnd = 0;

  constructor(private readonly maxBytes: number) {}

  feed(chunk: Buffer): void {
    this.base += this.buf.length;
    this.buf = chunk;
    this.pos = 0;
    this.elemStart = 0;
  }

  /** Next complete element from the current chunk, or undefined once the chunk is consumed. */
  next(): string | undefined {
    const buf = this.buf;
    const len = buf.length;
    let p = this.pos;
    while (p < len) {
      switch (this.phase) {
        case IN_ELEMENT: {
          const sep = this.scanElement(buf, p, len);
          if (sep < 0) {
            this.savePartial(buf, len);
            this.pos = len;
            return undefined;
          }
          const text = this.takeElement(buf, sep);
          this.phase = buf[sep] === COMMA ? BEFORE_ELEMENT : DONE;
          this.pos = sep + 1;
          return text;
        }
        case AFTER_OPEN:
        case BEFORE_ELEMENT: {
          const b = buf[p];
          if (isWs(b)) {
            if (b === LF) this.newLine(p);
            p++;
          } else if (b === CLOSE_BRACKET && this.phase === AFTER_OPEN) {
            this.phase = DONE;
            p++;
          } else if (b === COMMA || b === CLOSE_BRACKET) {
            throw new JsonArrayFormatError(`unexpected ${describeByte(b)} (an empty array element)`, this.position(p));
          } else {
            this.phase = IN_ELEMENT;
            this.elemStart = p;
            this.lastStart = this.base + p;
            this.elemLine = this.lines;
            this.elemColumn = this.lastStart - this.lineStart - this.lineExcess + 1;
          }
          break;
        }
        case START: {
          const b = buf[p];
          if (this.startBytes === this.bomMatched && this.bomMatched < 3 && b === BOM[this.bomMatched]) {
            // The byte order mark is not part of the first line's columns.
            if (++this.bomMatched === 3) this.lineStart = this.base + p + 1;
          } else if (this.bomMatched > 0 && this.bomMatched < 3) {
            throw new JsonArrayFormatError('invalid byte order mark', this.position(p));
          } else if (b === OPEN_BRACKET) {
            this.phase = AFTER_OPEN;
          } else if (b === LF) {
            this.newLine(p);
          } else if (!isWs(b)) {
            throw new JsonArrayFormatError('top level is not an array', this.position(p), valueKind(b));
          }
          this.startBytes++;
          p++;
          break;
        }
        default: {
          // DONE
          const b = buf[p];
          if (b === LF) this.newLine(p);
          else if (!isWs(b)) throw new JsonArrayFormatError(`unexpected ${describeByte(b)} after the closing ']'`, this.position(p));
          p++;
        }
      }
    }
    this.pos = p;
    return undefined;
  }

  finish(): void {
    switch (this.phase) {
      case DONE:
        return;
      case START:
        throw new JsonArrayFormatError('top level is not an array', undefined, 'an empty file');
      case IN_ELEMENT:
        if (this.inString) throw new JsonArrayFormatError('unterminated string', this.elementStart(), undefined, true);
        if (this.stack.length > 0) {
          throw new JsonArrayFormatError(`unclosed '${String.fromCharCode(this.stack[0])}'`, this.elementStart(), undefined, true);
        }
        // The element's bytes are all in parts by now (next() saved the last chunk's).
        throw new JsonArrayFormatError("the file ends before the closing ']'", this.positionInElement(this.buf.length, false));
      default:
        throw new JsonArrayFormatError("the file ends before the closing ']'", this.position(this.buf.length));
    }
  }

  /** Where the element last returned by next() (or the current one) begins. */
  elementStart(): TextPosition {
    return { offset: this.lastStart, line: this.elemLine + 1, column: this.elemColumn };
  }

  /** Where the UTF-16 index `index` of the text of the element starting at `start` is. Only for the element last returned. */
  positionInText(start: number, text: string, index: number): TextPosition {
    if (start !== this.lastStart) throw new Error('the position of an element is known only until the next element is read');
    let line = this.elemLine + 1;
    let column = this.elemColumn;
    for (let i = 0; i < index; i++) {
      if (text.charCodeAt(i) === LF) {
        line++;
        column = 1;
      } else {
        column++;
      }
    }
    return { offset: this.lastStart + Buffer.byteLength(text.slice(0, index)), line, column };
  }

  private newLine(p: number): void {
    this.lines++;
    this.lineStart = this.base + p + 1;
    this.lineExcess = 0;
  }

  /** Position of buf[p] between elements (everything since the last element is ASCII). */
  private position(p: number): TextPosition {
    const offset = this.base + p;
    return { offset, line: this.lines + 1, column: offset - this.lineStart - this.lineExcess + 1 };
  }

  /** Position of buf[p] inside the current element, counted over its bytes from its start (so a line feed inside a string counts too). */
  private positionInElement(p: number, currentChunk = true): TextPosition {
    let line = this.elemLine + 1;
    let column = this.elemColumn;
    const walk = (b: Buffer, from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const c = b[i];
        if (c === LF) {
          line++;
          column = 1;
        } else if ((c & 0xc0) !== 0x80) {
          column += c >= 0xf0 ? 2 : 1; // a 4-byte sequence is two UTF-16 code units
        }
      }
    };
    for (const part of this.parts) walk(part, 0, part.length);
    if (currentChunk) walk(this.buf, this.elemStart, p);
    return { offset: this.base + p, line, column };
  }

  /**
   * Scans element bytes from p. Returns the index of the top-level ',' or ']' that ends the
   * element, or -1 if the chunk ends first (state is kept for the next chunk).
   */
  private scanElement(buf: Buffer, p: number, len: number): number {
    const stack = this.stack;
    let inString = this.inString;
    let escape = this.escapePending;
    let lastLf = -1;
    let lfs = 0;
    while (p < len) {
      if (inString) {
        if (escape) {
          escape = false;
          p++;
          continue;
        }
        // Strings are the bulk of the data: jump between quotes with a native search.
        let lo = p;
        for (;;) {
          const q = buf.indexOf(QUOTE, p);
          if (q < 0) {
            escape = oddBackslashes(buf, lo, len);
            p = len;
            break;
          }
          p = q + 1;
          if (!oddBackslashes(buf, lo, q)) {
            inString = false;
            break;
          }
          lo = p;
        }
        continue;
      }
      const b = buf[p];
      if (b <= 0x20) {
        // Whitespace (or a stray control byte, left to JSON.parse): only line feeds matter here.
        if (b === LF) {
          lfs++;
          lastLf = p;
        }
      } else if (b === QUOTE) {
        inString = true;
      } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        stack.push(b);
      } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        if (stack.length === 0) {
          if (b === CLOSE_BRACKET) return this.endScan(p, lfs, lastLf);
          throw new JsonArrayFormatError("unexpected '}'", this.positionInElement(p));
        }
        // '{'/'}' and '['/']' differ by 2 in ASCII.
        if (stack.pop() !== b - 2) throw new JsonArrayFormatError(`unexpected '${String.fromCharCode(b)}'`, this.positionInElement(p));
      } else if (b === COMMA) {
        if (stack.length === 0) return this.endScan(p, lfs, lastLf);
      }
      p++;
    }
    this.addLines(lfs, lastLf);
    this.inString = inString;
    this.escapePending = escape;
    return -1;
  }

  private addLines(lfs: number, lastLf: number): void {
    if (lfs > 0) {
      this.lines += lfs;
      this.lineStart = this.base + lastLf + 1;
    }
  }

  private endScan(sep: number, lfs: number, lastLf: number): number {
    this.addLines(lfs, lastLf);
    // A top-level separator is never inside a string.
    this.inString = false;
    this.escapePending = false;
    return sep;
  }

  /** Keeps the unfinished element's bytes from this chunk (copied: the source may reuse its buffer). */
  private savePartial(buf: Buffer, len: number): void {
    const start = this.elemStart;
    if (start >= len) return;
    let i = len;
    while (i > start && isWs(buf[i - 1])) i--;
    this.partTrailingWs = i === start ? this.partTrailingWs + (len - start) : len - i;
    this.parts.push(Buffer.from(buf.subarray(start, len)));
    this.partBytes += len - start;
    const size = this.partBytes - this.partTrailingWs;
    if (size > this.maxBytes) throw this.tooBig();
  }

  /** Decodes the element ending just before the separator at sep, trimming trailing whitespace. */
  private takeElement(buf: Buffer, sep: number): string {
    const start = this.elemStart;
    let end = sep;
    while (end > start && isWs(buf[end - 1])) end--;
    this.lastEnd = end > 0 || this.parts.length === 0 ? this.base + end : this.lastStart + this.partBytes - this.partTrailingWs;
    if (this.parts.length === 0) {
      if (end - start > this.maxBytes) throw this.tooBig();
      return this.advanceLine(buf.toString('utf8', start, end));
    }
    // Element spans chunks (start is 0 here): concatenate once.
    const total = end > 0 ? this.partBytes + end : this.partBytes - this.partTrailingWs;
    if (total > this.maxBytes) throw this.tooBig();
    const list = end > 0 ? [...this.parts, buf.subarray(0, end)] : this.parts;
    const text = Buffer.concat(list, total).toString('utf8');
    this.parts = [];
    this.partBytes = 0;
    this.partTrailingWs = 0;
    return this.advanceLine(text);
  }

  /** Accounts for the element just taken in lineExcess; returns its text. */
  private advanceLine(text: string): string {
    const lineStart = this.lineStart;
    if (lineStart <= this.lastStart) {
      this.lineExcess += this.lastEnd - this.lastStart - text.length;
    } else if (lineStart < this.lastEnd) {
      // The line began inside the element: measure from its last line feed.
      this.lineExcess = this.lastEnd - lineStart - (text.length - text.lastIndexOf('\n') - 1);
    } else {
      this.lineExcess = 0;
    }
    return text;
  }

  private tooBig(): JsonArrayFormatError {
    return new JsonArrayFormatError(`more than ${this.maxBytes} bytes`, this.elementStart(), undefined, true);
  }
}

function toBuffer(chunk: Buffer | Uint8Array | string): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (Buffer.isBuffer(chunk)) return chunk;
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Yields the raw UTF-8 JSON text of each top-level array element, in order, with surrounding whitespace trimmed.
 *  Throws JsonArrayFormatError, with the position of the problem, if the top level is not an array (leading whitespace and a UTF-8 BOM are allowed),
 *  if the input ends before the closing `]`, if anything but whitespace follows the closing `]`, on an empty
 *  element (`[1,,2]`, `[,1]`, `[1,]`), on unbalanced brackets/braces, or on an unterminated string. */
export async function* readJsonArrayElements(
  source: AsyncIterable<Buffer | Uint8Array | string>,
  options: JsonArrayReaderOptions = {},
): AsyncGenerator<string> {
  for await (const element of readJsonArrayElementsWithOffsets(source, options)) yield element.text;
}

/** An element's text and its byte range [start, end) in the source, so it can be read again by range. */
export interface LocatedElement {
  text: string;
  start: number;
  end: number;
}

/**
 * Places characters of the element last read by readJsonArrayElementsWithOffsets (given this in
 * its options) in the source. Only until the next element is read: the reader keeps just enough
 * to place the last one.
 */
export class ElementLocator {
  private splitter: Splitter | undefined;

  /** @internal */
  attach(splitter: Splitter): void {
    this.splitter = splitter;
  }

  /** Where the character at UTF-16 index `index` of `element.text` (default: its first) is in the source. */
  position(element: LocatedElement, index = 0): TextPosition {
    if (!this.splitter) throw new Error('this locator is not attached to a reader');
    return this.splitter.positionInText(element.start, element.text, index);
  }
}

/** As readJsonArrayElements, with each element's byte range in the source. */
export async function* readJsonArrayElementsWithOffsets(
  source: AsyncIterable<Buffer | Uint8Array | string>,
  options: JsonArrayReaderOptions & { locator?: ElementLocator } = {},
): AsyncGenerator<LocatedElement> {
  const maxBytes = options.maxElementBytes ?? DEFAULT_MAX_ELEMENT_BYTES;
  if (!(maxBytes >= 0)) throw new RangeError(`invalid maxElementBytes: ${maxBytes}`);
  const splitter = new Splitter(maxBytes);
  options.locator?.attach(splitter);
  for await (const chunk of source) {
    splitter.feed(toBuffer(chunk));
    let text: string | undefined;
    while ((text = splitter.next()) !== undefined) yield { text, start: splitter.lastStart, end: splitter.lastEnd };
  }
  splitter.finish();
}

/** What is at text[i], for messages: a word (`'True'`), a printable character (`'}'`) or a code point (`U+0001`). */
function describeAt(text: string, i: number): string {
  const word = /^[A-Za-z0-9_$.+-]{1,20}/.exec(text.slice(i, i + 20));
  if (word && /^[A-Za-z_$]/.test(word[0])) return `'${word[0]}'`;
  const cp = text.codePointAt(i)!;
  if (cp <= 0x20 || (cp >= 0x7f && cp <= 0xa0)) return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return `'${String.fromCodePoint(cp)}'`;
}

const isWsCode = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/**
 * The first JSON syntax error in `text` (one array element, which JSON.parse rejected): its UTF-16
 * index and what is wrong there (`unexpected '}'`, `unterminated string`, …). Undefined if the text
 * is valid JSON. Only for the error path: it walks the text one character at a time.
 */
export function findJsonSyntaxError(text: string): { index: number; problem: string } | undefined {
  const n = text.length;
  let i = 0;
  const stack: boolean[] = []; // true: in an object
  const skipWs = () => {
    while (i < n && isWsCode(text.charCodeAt(i))) i++;
  };
  const unexpected = () => (i >= n ? { index: n, problem: 'unexpected end of the element' } : { index: i, problem: `unexpected ${describeAt(text, i)}` });
  /** Reads the string at i; an error, or undefined with i after it. */
  const string = () => {
    const start = i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        i++;
        return undefined;
      }
      if (c === BACKSLASH) {
        const e = text[i + 1];
        if (e === 'u' ? !/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6)) : e === undefined || !'"\\/bfnrt'.includes(e)) {
          return { index: i, problem: `invalid escape '${text.slice(i, e === 'u' ? i + 6 : i + 2)}' in a string` };
        }
        i += e === 'u' ? 6 : 2;
        continue;
      }
      if (c < 0x20) return { index: i, problem: `unescaped control character ${describeAt(text, i)} in a string` };
      i++;
    }
    return { index: start, problem: 'unterminated string' };
  };
  /** Reads `"key":` at i (after '{' or ','). */
  const key = () => {
    skipWs();
    if (text.charCodeAt(i) !== QUOTE) return unexpected();
    const e = string();
    if (e) return e;
    skipWs();
    if (text.charCodeAt(i) !== 0x3a) return unexpected();
    i++;
    return undefined;
  };
  for (;;) {
    // A value is expected at i.
    skipWs();
    const c = text.charCodeAt(i);
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      i++;
      skipWs();
      if (text.charCodeAt(i) === c + 2) {
        i++;
      } else {
        stack.push(c === OPEN_BRACE);
        if (c === OPEN_BRACE) {
          const e = key();
          if (e) return e;
        }
        continue;
      }
    } else if (c === QUOTE) {
      const e = string();
      if (e) return e;
    } else if (c === 0x2d || isDigit(c)) {
      const m = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
      if (!m || (m[0].length === 400 && isDigit(text.charCodeAt(i + 400)))) {
        if (c === 0x2d) i++;
        return unexpected();
      }
      i += m[0].length;
      // A number cut short ('1.', '1e') leaves its '.'/'e' to be reported as unexpected below.
    } else {
      const word = ['true', 'false', 'null'].find((w) => text.startsWith(w, i));
      if (!word) return unexpected();
      i += word.length;
    }
    // After a value: close containers, or a ',' for the next value.
    for (;;) {
      skipWs();
      if (stack.length === 0) return i < n ? unexpected() : undefined;
      const d = text.charCodeAt(i);
      const inObject = stack[stack.length - 1];
      if (d === COMMA) {
        i++;
        if (inObject) {
          const e = key();
          if (e) return e;
        }
        break;
      }
      if (d !== (inObject ? CLOSE_BRACE : CLOSE_BRACKET)) return unexpected();
      i++;
      stack.pop();
    }
  }
}
