import type { Writable } from 'node:stream';
import pino from 'pino';
import pretty from 'pino-pretty';

export type Logger = pino.Logger;

/** `auto`: pretty when the output is a terminal, JSON lines otherwise (for log collectors and tests). */
export type LogFormat = 'auto' | 'json' | 'pretty';

const REDACT = ['*.authorization', '*.apiKey', '*.token', 'req.headers.authorization'];

/**
 * One root logger per process; children carry the component name. Pretty output
 * is written synchronously on the main thread (no transport worker), so the last
 * lines before an exit are never lost.
 */
export function createLogger(level: string, format: LogFormat = 'auto', destination: Writable & { isTTY?: boolean } = process.stdout, name = 'paddock'): Logger {
  const opts = { name, level, redact: REDACT };
  const human = format === 'pretty' || (format === 'auto' && destination.isTTY === true);
  if (!human) return pino(opts, destination);
  return pino(opts, pretty({ destination, sync: true, colorize: destination.isTTY === true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' }));
}

/** A logger that drops everything: for tests and library defaults. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
