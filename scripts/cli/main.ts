import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Client } from './client';
import { batch } from './batch';
import * as commands from './commands';
import { logs } from './logs';
import { pull } from './pull';
import { token } from './token';
import { CliError, EXIT, usageError } from './errors';

/**
 * `paddock <command> [options]`: the HTTP API from a terminal (README "Command line").
 * Started by scripts/cli/paddock.js. Reads PADDOCK_URL and PADDOCK_TOKEN (this
 * client's only settings; --url and --token win).
 */

const USAGE = `usage: paddock <command> [options]

  run     --language <python|javascript|bash> (--code <src> | --file <path|->)
          [--stdin <text|->] [--test name=code]... [--kind <kind> --prompt <text> --model <ref>]
          [--timeout-ms <n>] [--memory-mb <n>] [--priority <critical|high|medium|low>]
          [--idempotency-key <key>] [--follow | --detach | --json]
                           submit a run and wait for it; --follow streams its events live
  follow  <id> [--last-event-id <seq>]
                           stream a run's events (replay, then live) until it ends
  logs    <id> [--after <seq>] [--json]
                           the run's events so far: its output, then status lines
  get     <id>             the run as JSON
  cancel  <id>             cancel a queued or running run
  list    [--status <s>] [--kind <k>] [--limit <n>] [--cursor <c>] [--json]
  batch   <dir> [--priority <p>] [--timeout-ms <n>] [--memory-mb <n>] [--concurrency <n>] [--json]
                           run every .py, .js, .mjs, .cjs and .sh file in <dir>, with a progress
                           bar; one line per file, exit code of the worst outcome
  pull    <model> [--server <name>]
                           pull a model on Ollama with a progress bar
  token   --sub <name> [--role <user|admin>] [--ttl <12h>]
                           mint a token for a local deployment (JWT_SECRET, else DATA_DIR's
                           development secret), as npm run token does

options of every command:
  --url <url>     the API (env PADDOCK_URL, default http://127.0.0.1:8080)
  --token <jwt>   a bearer token (env PADDOCK_TOKEN)
  -h, --help

exit codes: 0 succeeded · 1 the run failed or timed out · 2 usage error ·
            3 the run ended in error or was cancelled · 4 HTTP, auth or connection problem
            (batch: the worst of its runs; 4 when the server refused some)
`;

type Options = NonNullable<ParseArgsConfig['options']>;

const COMMON: Options = { url: { type: 'string' }, token: { type: 'string' }, help: { type: 'boolean', short: 'h' } };
const str = { type: 'string' } as const;
const flag = { type: 'boolean' } as const;

const COMMANDS: Record<string, { args: string[]; options: Options }> = {
  run: {
    args: [],
    options: {
      language: { ...str, short: 'l' }, code: { ...str, short: 'c' }, file: { ...str, short: 'f' }, stdin: str,
      test: { ...str, multiple: true }, kind: str, prompt: str, model: str, 'timeout-ms': str, 'memory-mb': str,
      priority: str, 'idempotency-key': str, follow: flag, detach: flag, json: flag,
    },
  },
  follow: { args: ['id'], options: { 'last-event-id': str } },
  logs: { args: ['id'], options: { after: str, json: flag } },
  get: { args: ['id'], options: {} },
  cancel: { args: ['id'], options: {} },
  list: { args: [], options: { status: str, kind: str, limit: str, cursor: str, json: flag } },
  batch: { args: ['dir'], options: { priority: str, 'timeout-ms': str, 'memory-mb': str, concurrency: str, json: flag } },
  pull: { args: ['model'], options: { server: str } },
  token: { args: [], options: { sub: str, role: str, ttl: str } },
};

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    (name === undefined ? process.stderr : process.stdout).write(USAGE);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) throw usageError(`unknown command ${JSON.stringify(name)} (${Object.keys(COMMANDS).join(', ')})`);
  const { values, positionals } = parse(rest, { ...COMMON, ...command.options });
  if (values.help) {
    process.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (positionals.length !== command.args.length) {
    throw usageError(command.args.length === 0 ? `paddock ${name} takes no arguments` : `paddock ${name} needs <${command.args.join('> <')}>`);
  }
  if (values.follow && (values.detach || values.json)) throw usageError('--follow cannot be combined with --detach or --json');
  // Signed here, not by the server: no URL and no token needed.
  if (name === 'token') return token(env, values);
  const client = new Client(baseUrl(values.url ?? env.PADDOCK_URL), values.token ?? env.PADDOCK_TOKEN);
  const arg = positionals[0]!;
  switch (name) {
    case 'run':
      return commands.run(client, values);
    case 'follow':
      return commands.follow(client, arg, seq(values['last-event-id']));
    case 'logs':
      return logs(client, arg, { json: values.json, after: seq(values.after, '--after') });
    case 'batch':
      return batch(client, arg, values);
    case 'pull':
      return pull(client, arg, values);
    case 'get':
      return commands.get(client, arg);
    case 'cancel':
      return commands.cancel(client, arg);
    default:
      return commands.list(client, values);
  }
}

function parse(args: string[], options: Options): { values: Record<string, any>; positionals: string[] } {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (err) {
    // parseArgs' own messages name the option ("Unknown option '--x'", "… argument missing").
    throw usageError((err as Error).message);
  }
}

function baseUrl(raw: string | undefined): string {
  const url = raw || 'http://127.0.0.1:8080';
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    return u.href;
  } catch {
    throw usageError(`not an http(s) URL: ${JSON.stringify(url)} (--url or PADDOCK_URL)`);
  }
}

function seq(raw: string | undefined, flag = '--last-event-id'): string | undefined {
  if (raw !== undefined && !/^\d+$/.test(raw)) throw usageError(`${flag} must be an event seq (a whole number)`);
  return raw;
}

// A closed pipe (`paddock list | head`) is the reader's choice, not a failure.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(EXIT.ok);
});

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof CliError) {
      process.stderr.write(`paddock: ${err.message}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`paddock: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = EXIT.http;
  },
);
