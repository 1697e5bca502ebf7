import pino from 'pino';

export type Logger = pino.Logger;

/** One root logger per process; children carry the component name. */
export function createLogger(level: string, name = 'paddock'): Logger {
  return pino({ name, level, redact: ['*.authorization', '*.apiKey', '*.token', 'req.headers.authorization'] });
}

/** A logger that drops everything: for tests and library defaults. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
