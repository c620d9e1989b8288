import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type LogFormat = 'json' | 'pretty';

/**
 * The service's logger, to stderr: JSON lines by default (for log shippers), or human-readable lines
 * (`--log-format pretty`, the default on a terminal) through pino-pretty.
 */
export function createLogger(level: string, format: LogFormat | undefined): Logger {
  const human = format ? format === 'pretty' : process.stderr.isTTY;
  if (!human) return pino({ level }, pino.destination(2));
  return pino({ level }, pretty({ destination: 2, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
}
