import { PassThrough } from 'node:stream';
import { createLogger, type LogFormat } from '../../core/logger';

/** Logs are readable in a terminal and JSON lines everywhere else (collectors, tests, pipes). */
function capture(format: LogFormat, tty: boolean): { out: () => string; log: ReturnType<typeof createLogger> } {
  const stream = Object.assign(new PassThrough(), { isTTY: tty });
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { out: () => text, log: createLogger('info', format, stream) };
}

it('auto is JSON lines when the output is not a terminal', async () => {
  const { out, log } = capture('auto', false);
  log.child({ component: 'api' }).info({ runId: 'run_1' }, 'run accepted');
  await new Promise((r) => setImmediate(r));
  const line = JSON.parse(out().trim());
  expect(line).toMatchObject({ level: 30, name: 'paddock', component: 'api', runId: 'run_1', msg: 'run accepted' });
});

const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

it('auto is human-readable on a terminal, and pretty forces it elsewhere', async () => {
  for (const [format, tty] of [['auto', true], ['pretty', false]] as const) {
    const { out, log } = capture(format, tty);
    log.warn({ runId: 'run_2' }, 'worker lost');
    await new Promise((r) => setImmediate(r));
    expect(plain(out())).toMatch(/WARN \(paddock\): worker lost/);
    expect(plain(out())).toContain('runId: "run_2"');
    expect(out()).not.toContain('{"level"');
  }
});

it('json stays JSON on a terminal, and secrets are redacted in both formats', async () => {
  for (const format of ['json', 'pretty'] as const) {
    const { out, log } = capture(format, true);
    log.info({ req: { headers: { authorization: 'Bearer secret-token' } } }, 'request');
    await new Promise((r) => setImmediate(r));
    expect(out()).toContain('request');
    expect(out()).not.toContain('secret-token');
    if (format === 'json') expect(JSON.parse(out().trim()).msg).toBe('request');
  }
});
