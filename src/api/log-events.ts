import { constants } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import { z } from 'zod';
import { ServiceError, notFound, validationError } from '../domain/errors.js';
import { isTerminalRunStatus } from '../domain/model.js';
import { int, opt, parseInput } from '../domain/validation.js';
import { runLogPath } from '../executors/local/paths.js';
import type { ApiRequest, Services } from './route.js';
import type { TargetService } from './targets.js';

/**
 * Run logs as CloudWatch Logs serves them on AWS (docs/api.md, "Run logs"): GetRun's `logLocation`
 * names streams of the log group `/aws/omics/WorkflowLog`, and omicsd answers the CloudWatch Logs
 * `GetLogEvents` call for them at its own endpoint, so that a client reads a run's log the same way
 * from omicsd and from AWS — never from the server's disk.
 *
 * Both streams of a run, `run/<id>` and `run/<id>/engine`, are the run's engine log
 * (`<data-dir>/runs/<id>/engine.log`: the engine's stdout and stderr, and omicsd's lines about the
 * run). Each line is one event. A line longer than PIECE bytes is cut into pieces of at most
 * 2 × PIECE + 3 bytes (under 256 KiB, CloudWatch's event size) at fixed file offsets — see `scan` —
 * so that where the events begin and end depends on the file's bytes only, never on where a
 * reader started. The last line while it has no newline yet is held back until the run has ended.
 */

export const WORKFLOW_LOG_GROUP = '/aws/omics/WorkflowLog';
/** Bytes of the log read for one response, at most: CloudWatch's 1 MB page. */
export const MAX_PAGE_BYTES = 1024 * 1024;
/** Lines longer than this are cut at the multiples of it (adjusted to a UTF-8 character boundary). */
const PIECE = 128 * 1024 - 2;
const MAX_LIMIT = 10_000;
const OPERATION = 'GetLogEvents';
const NEWLINE = 0x0a;

const GetLogEventsInput = z.object({
  logGroupName: opt(z.string().min(1).max(512)),
  logGroupIdentifier: opt(z.string().min(1).max(2048)),
  logStreamName: z.string().min(1).max(512),
  // Accepted and ignored: every event of a run carries the same timestamp (below).
  startTime: opt(z.number().int().min(0)),
  endTime: opt(z.number().int().min(0)),
  nextToken: opt(z.string().min(1).max(2048)),
  limit: opt(int(1, MAX_LIMIT)),
  startFromHead: opt(z.boolean()),
  unmask: opt(z.boolean()),
});

const STREAM = /^run\/([0-9]{1,18})(\/engine)?$/;

const streamNotFound = () => notFound('The specified log stream does not exist.');
const groupNotFound = () => notFound('The specified log group does not exist.');
const badToken = () => validationError('The specified nextToken is invalid.');

/** `logGroupName`, or `logGroupIdentifier` (the name or the group's ARN), must name the workflow log group. */
function checkLogGroup(s: Services, account: string, name: string | undefined, identifier: string | undefined) {
  if (name !== undefined && identifier !== undefined) throw validationError('logGroupName and logGroupIdentifier are mutually exclusive: give one of them');
  if (name === undefined && identifier === undefined) throw validationError('Either logGroupName or logGroupIdentifier must be specified');
  if (name !== undefined) {
    if (name !== WORKFLOW_LOG_GROUP) throw groupNotFound();
    return;
  }
  const arn = `arn:aws:logs:${s.config.region}:${account}:log-group:${WORKFLOW_LOG_GROUP}`;
  if (identifier !== WORKFLOW_LOG_GROUP && identifier !== arn && identifier !== `${arn}:*`) throw groupNotFound();
}

type Direction = 'f' | 'b';

/**
 * `f/…` and `b/…` tokens: a byte offset of the log that is an event boundary, signed with the page-token
 * secret and bound to the account, the stream and the direction (a token of another stream, another
 * account or an altered one is InvalidParameterException). Issuing is deterministic, so a forward read
 * at the end of the log hands back the very token it was given: how CloudWatch clients detect the end.
 */
function logTokens(s: Services, account: string, stream: string) {
  const scope = (direction: Direction) => ({ account, stream, direction });
  return {
    issue: (direction: Direction, offset: number) => `${direction}/${s.tokens.issue(OPERATION, scope(direction), offset)}`,
    read(token: string): { direction: Direction; offset: number } {
      const direction = token.startsWith('f/') ? 'f' : token.startsWith('b/') ? 'b' : undefined;
      if (!direction) throw badToken();
      let offset: number | undefined;
      try {
        offset = s.tokens.read(OPERATION, scope(direction), token.slice(2));
      } catch {
        throw badToken();
      }
      if (offset === undefined || offset < 0) throw badToken();
      return { direction, offset };
    },
  };
}

/** The log file, opened without following a symbolic link; any failure to find a regular file is a missing stream. */
async function openLog(dataDir: string, runId: string): Promise<{ fh: FileHandle; size: number }> {
  let fh: FileHandle;
  try {
    fh = await fs.open(runLogPath(dataDir, runId), constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR' || code === 'EACCES') throw streamNotFound();
    throw err;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw streamNotFound();
    return { fh, size: st.size };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/** Bytes [base, base + buf.length) of the log. */
interface Window {
  buf: Buffer;
  base: number;
}

async function readWindow(fh: FileHandle, from: number, to: number): Promise<Window> {
  const buf = Buffer.allocUnsafe(Math.max(0, to - from));
  let n = 0;
  while (n < buf.length) {
    const { bytesRead } = await fh.read(buf, n, buf.length - n, from + n);
    if (bytesRead === 0) break;
    n += bytesRead;
  }
  return { buf: buf.subarray(0, n), base: from };
}

/** One event's bytes [start, end) of the log; its message is [start, text): without the newline. */
interface Piece {
  start: number;
  end: number;
  text: number;
}

const isContinuation = (b: number | undefined) => b !== undefined && (b & 0xc0) === 0x80;

/**
 * The events found in `w` from `from` on, and where the unfinished rest begins.
 *
 * Boundaries are: after every newline, and inside a line that began at `s`, each multiple `a` of PIECE
 * (moved back over at most 3 UTF-8 continuation bytes, so a character is never split) with
 * `a >= s + PIECE`. Only the line's start matters, and only whether it is at least PIECE bytes back,
 * which is what lets a reader start at any boundary (`lineStart` = `from` - PIECE when `from` is a
 * cut), or even in the middle of a line (`lineStart` = `from`: the cuts it then misses all lie before
 * the first boundary it finds, which is a true one).
 */
function scan(w: Window, from: number, lineStart: number): { pieces: Piece[]; rest: number } {
  const pieces: Piece[] = [];
  const end = w.base + w.buf.length;
  let s = lineStart;
  let p = from;
  while (p < end) {
    const nl = w.buf.indexOf(NEWLINE, p - w.base);
    const t = nl < 0 ? end : w.base + nl;
    for (let k = Math.ceil(Math.max(p + 1, s + PIECE) / PIECE); k * PIECE < t; k++) {
      let a = k * PIECE;
      for (let back = 0; back < 3 && isContinuation(w.buf[a - w.base]); back++) a--;
      if (a > p && a >= s + PIECE) {
        pieces.push({ start: p, end: a, text: a });
        p = a;
      }
    }
    if (nl < 0) break;
    pieces.push({ start: p, end: t + 1, text: t });
    p = s = t + 1;
  }
  return { pieces, rest: p };
}

/** Events read from the log, and the boundary both tokens name when there is none. */
interface Page {
  events: { start: number; end: number; message: string }[];
  edge: number;
}

const messagesOf = (w: Window, pieces: Piece[]) =>
  pieces.map((p) => ({ start: p.start, end: p.end, message: w.buf.toString('utf8', p.start - w.base, p.text - w.base) }));

/** The first window read for a page; it grows fourfold while it holds fewer events than asked, up to MAX_PAGE_BYTES. */
const FIRST_WINDOW = 64 * 1024;

/** Up to `limit` events after the boundary `from`, within MAX_PAGE_BYTES. */
async function readForward(fh: FileHandle, size: number, from: number, limit: number, ended: boolean): Promise<Page> {
  const lookback = from > 0 ? 1 : 0;
  const to = Math.min(size, from + MAX_PAGE_BYTES);
  for (let bytes = FIRST_WINDOW; ; bytes *= 4) {
    const w = await readWindow(fh, from - lookback, Math.min(to, from + bytes));
    const end = w.base + w.buf.length;
    const atLineStart = from === 0 || w.buf[0] === NEWLINE;
    const { pieces, rest } = scan(w, from, atLineStart ? from : from - PIECE);
    // The last line without its newline counts once the run has ended (nothing will complete it).
    if (ended && end === size && rest < end) pieces.push({ start: rest, end, text: end });
    if (pieces.length >= limit || end >= to) return { events: messagesOf(w, pieces.slice(0, limit)), edge: from };
  }
}

/**
 * Up to `limit` events before `upTo` — a boundary when it comes from a token (`trusted`), else the
 * end of the log — within MAX_PAGE_BYTES.
 */
async function readBackward(fh: FileHandle, size: number, upTo: number, trusted: boolean, limit: number, ended: boolean): Promise<Page> {
  const floor = Math.max(0, upTo - MAX_PAGE_BYTES);
  for (let bytes = FIRST_WINDOW; ; bytes *= 4) {
    const start = Math.max(floor, upTo - bytes);
    const lookback = start > 0 ? 1 : 0;
    const w = await readWindow(fh, start - lookback, upTo);
    const end = w.base + w.buf.length;
    const startIsBoundary = start === 0 || w.buf[0] === NEWLINE;
    const { pieces, rest } = scan(w, start, start);
    // A piece that begins where the window does, in the middle of a line, is not an event.
    const found = startIsBoundary ? pieces : pieces.slice(1);
    const restIsBoundary = rest > start || startIsBoundary;
    if (rest < end && restIsBoundary && (trusted || (ended && end === size))) found.push({ start: rest, end, text: end });
    // No event: the tokens name `upTo` when it is a boundary, else the last boundary found (a page's
    // window always holds one; an empty log's is 0).
    if (found.length >= limit || start === floor) return { events: messagesOf(w, found.slice(-limit)), edge: trusted ? upTo : restIsBoundary ? rest : start };
  }
}

async function getLogEvents(req: ApiRequest, s: Services) {
  const input = parseInput(GetLogEventsInput, req.body);
  checkLogGroup(s, req.account, input.logGroupName, input.logGroupIdentifier);
  const m = STREAM.exec(input.logStreamName);
  if (!m) throw streamNotFound();
  // Another account's run answers exactly as a run that does not exist.
  const run = await s.runs.get(req.account, m[1]).catch((err: unknown) => {
    throw err instanceof ServiceError && err.type === 'ResourceNotFoundException' ? streamNotFound() : err;
  });
  const tokens = logTokens(s, req.account, input.logStreamName);
  const position = input.nextToken === undefined ? undefined : tokens.read(input.nextToken);
  const limit = input.limit ?? MAX_LIMIT;
  const ended = isTerminalRunStatus(run.status);

  const { fh, size } = await openLog(s.config.dataDir, run.id);
  let page: Page;
  try {
    if (position && position.offset > size) throw badToken();
    const forward = position ? position.direction === 'f' : input.startFromHead === true;
    page = forward
      ? await readForward(fh, size, position?.offset ?? 0, limit, ended)
      : await readBackward(fh, size, position?.offset ?? size, position !== undefined, limit, ended);
  } finally {
    await fh.close();
  }
  // The log has no time per line: every event carries the time the run started (its creation, before
  // that), so an event reads the same on every call and timestamps never go backwards.
  const timestamp = run.startTime ?? run.creationTime;
  const { events, edge } = page;
  return {
    events: events.map((e) => ({ timestamp, message: e.message, ingestionTime: timestamp })),
    nextForwardToken: tokens.issue('f', events.length ? events[events.length - 1].end : edge),
    nextBackwardToken: tokens.issue('b', events.length ? events[0].start : edge),
  };
}

/**
 * CloudWatch Logs (awsJson1_1, X-Amz-Target `Logs_20140328.*`, signed for `logs`): its errors are 400
 * with the bare type in `__type`, and it names a bad member InvalidParameterException.
 */
export const cloudWatchLogs: TargetService = {
  namespace: 'Logs_20140328',
  signingName: 'logs',
  contentType: 'application/x-amz-json-1.1',
  operations: [{ name: OPERATION, handler: getLogEvents }],
  error(type, status) {
    if (type === 'ValidationException') return { type: 'InvalidParameterException', status: 400 };
    if (type === 'ResourceNotFoundException') return { type, status: 400 };
    return { type, status };
  },
};
