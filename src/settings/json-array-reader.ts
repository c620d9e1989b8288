/**
 * Streaming splitter for a JSON document whose top level is an array: yields the raw text of
 * each top-level element so multi-GB files can be processed with bounded memory.
 *
 * Works on bytes: every structural character is ASCII and UTF-8 continuation/lead bytes are
 * always >= 0x80, so multi-byte sequences can never be mistaken for structure.
 */

export class JsonArrayFormatError extends Error {
  constructor(message: string) {
    super(message);
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
            p++;
          } else if (b === CLOSE_BRACKET && this.phase === AFTER_OPEN) {
            this.phase = DONE;
            p++;
          } else if (b === COMMA || b === CLOSE_BRACKET) {
            throw this.error('empty array element', p);
          } else {
            this.phase = IN_ELEMENT;
            this.elemStart = p;
            this.lastStart = this.base + p;
          }
          break;
        }
        case START: {
          const b = buf[p];
          if (this.startBytes === this.bomMatched && this.bomMatched < 3 && b === BOM[this.bomMatched]) {
            this.bomMatched++;
          } else if (this.bomMatched > 0 && this.bomMatched < 3) {
            throw this.error('invalid byte order mark', p);
          } else if (b === OPEN_BRACKET) {
            this.phase = AFTER_OPEN;
          } else if (!isWs(b)) {
            throw this.error('top level is not an array', p);
          }
          this.startBytes++;
          p++;
          break;
        }
        default: {
          // DONE
          if (!isWs(buf[p])) throw this.error("unexpected data after the closing ']'", p);
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
        throw this.error('top level is not an array', this.buf.length);
      case IN_ELEMENT:
        if (this.inString) throw this.error('unterminated string', this.buf.length);
        if (this.stack.length > 0) throw this.error('unbalanced brackets: input ended inside an element', this.buf.length);
        throw this.error("input ended before the closing ']'", this.buf.length);
      default:
        throw this.error("input ended before the closing ']'", this.buf.length);
    }
  }

  /**
   * Scans element bytes from p. Returns the index of the top-level ',' or ']' that ends the
   * element, or -1 if the chunk ends first (state is kept for the next chunk).
   */
  private scanElement(buf: Buffer, p: number, len: number): number {
    const stack = this.stack;
    let inString = this.inString;
    let escape = this.escapePending;
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
      if (b === QUOTE) {
        inString = true;
      } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        stack.push(b);
      } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        if (stack.length === 0) {
          if (b === CLOSE_BRACKET) return this.endScan(p);
          throw this.error("unbalanced brackets: unexpected '}'", p);
        }
        // '{'/'}' and '['/']' differ by 2 in ASCII.
        if (stack.pop() !== b - 2) throw this.error(`unbalanced brackets: unexpected '${String.fromCharCode(b)}'`, p);
      } else if (b === COMMA && stack.length === 0) {
        return this.endScan(p);
      }
      p++;
    }
    this.inString = inString;
    this.escapePending = escape;
    return -1;
  }

  private endScan(sep: number): number {
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
    if (size > this.maxBytes) {
      throw this.error(`array element exceeds ${this.maxBytes} bytes`, len);
    }
  }

  /** Decodes the element ending just before the separator at sep, trimming trailing whitespace. */
  private takeElement(buf: Buffer, sep: number): string {
    const start = this.elemStart;
    let end = sep;
    while (end > start && isWs(buf[end - 1])) end--;
    this.lastEnd = end > 0 || this.parts.length === 0 ? this.base + end : this.lastStart + this.partBytes - this.partTrailingWs;
    if (this.parts.length === 0) {
      if (end - start > this.maxBytes) throw this.error(`array element exceeds ${this.maxBytes} bytes`, sep);
      return buf.toString('utf8', start, end);
    }
    // Element spans chunks (start is 0 here): concatenate once.
    const total = end > 0 ? this.partBytes + end : this.partBytes - this.partTrailingWs;
    if (total > this.maxBytes) throw this.error(`array element exceeds ${this.maxBytes} bytes`, sep);
    const list = end > 0 ? [...this.parts, buf.subarray(0, end)] : this.parts;
    const text = Buffer.concat(list, total).toString('utf8');
    this.parts = [];
    this.partBytes = 0;
    this.partTrailingWs = 0;
    return text;
  }

  private error(message: string, p: number): JsonArrayFormatError {
    return new JsonArrayFormatError(`${message} (at byte ${this.base + p})`);
  }
}

function toBuffer(chunk: Buffer | Uint8Array | string): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (Buffer.isBuffer(chunk)) return chunk;
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Yields the raw UTF-8 JSON text of each top-level array element, in order, with surrounding whitespace trimmed.
 *  Throws JsonArrayFormatError if the top level is not an array (leading whitespace and a UTF-8 BOM are allowed),
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

/** As readJsonArrayElements, with each element's byte range in the source. */
export async function* readJsonArrayElementsWithOffsets(
  source: AsyncIterable<Buffer | Uint8Array | string>,
  options: JsonArrayReaderOptions = {},
): AsyncGenerator<LocatedElement> {
  const maxBytes = options.maxElementBytes ?? DEFAULT_MAX_ELEMENT_BYTES;
  if (!(maxBytes >= 0)) throw new RangeError(`invalid maxElementBytes: ${maxBytes}`);
  const splitter = new Splitter(maxBytes);
  for await (const chunk of source) {
    splitter.feed(toBuffer(chunk));
    let text: string | undefined;
    while ((text = splitter.next()) !== undefined) yield { text, start: splitter.lastStart, end: splitter.lastEnd };
  }
  splitter.finish();
}
