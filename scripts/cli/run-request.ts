import { readFileSync } from 'node:fs';
import { usageError } from './errors';

/** The options of `paddock run` that shape the request body. */
export interface RunOptions {
  kind?: string;
  language?: string;
  code?: string;
  file?: string;
  stdin?: string;
  test?: string[];
  prompt?: string;
  model?: string;
  'timeout-ms'?: string;
  'memory-mb'?: string;
  priority?: string;
}

const BY_EXTENSION: Record<string, string> = { py: 'python', js: 'javascript', mjs: 'javascript', cjs: 'javascript', sh: 'bash' };

/**
 * The POST /v1/runs body for the options. Only what the CLI can tell alone is
 * checked here (a usage error, exit 2); the server validates the rest (a 400, exit 4).
 * `readStdin` is this process's standard input, for `--file -` or `--stdin -`.
 */
export function runRequest(o: RunOptions, readStdin: () => string): Record<string, unknown> {
  if (o.code !== undefined && o.file !== undefined) throw usageError('give --code or --file, not both');
  if (o.file === '-' && o.stdin === '-') throw usageError('only one of --file and --stdin can read standard input');
  const code = o.file === undefined ? o.code : o.file === '-' ? readStdin() : readText(o.file);
  const language = o.language ?? (o.file && o.file !== '-' ? languageOf(o.file) : undefined);
  const kind = o.kind;
  if (kind === undefined || kind === 'code') {
    if (code === undefined) throw usageError('nothing to run: give --code or --file (LLM kinds: --kind and --prompt)');
    if (language === undefined) throw usageError('--language is needed (python, javascript or bash)');
  }
  const limits = limitsOf(o);
  return {
    ...(kind !== undefined ? { kind } : {}),
    ...(language !== undefined ? { language } : {}),
    ...(code !== undefined ? { code } : {}),
    ...(o.stdin !== undefined ? { stdin: o.stdin === '-' ? readStdin() : o.stdin } : {}),
    ...(o.test?.length ? { tests: o.test.map(parseTest) } : {}),
    ...(o.prompt !== undefined ? { prompt: o.prompt } : {}),
    ...(o.model !== undefined ? { model: o.model } : {}),
    ...(limits ? { limits } : {}),
    ...(o.priority !== undefined ? { priority: o.priority } : {}),
  };
}

/** The language a file's extension names (`add.py` → python), if any. */
export function languageOf(file: string): string | undefined {
  const dot = file.lastIndexOf('.');
  return dot > 0 ? BY_EXTENSION[file.slice(dot + 1)] : undefined;
}

/** `--timeout-ms` and `--memory-mb` as a request's `limits`, when either is given. */
export function limitsOf(o: Pick<RunOptions, 'timeout-ms' | 'memory-mb'>): { timeoutMs?: number; memoryMb?: number } | undefined {
  const limits = {
    ...(o['timeout-ms'] !== undefined ? { timeoutMs: positiveInt('--timeout-ms', o['timeout-ms']) } : {}),
    ...(o['memory-mb'] !== undefined ? { memoryMb: positiveInt('--memory-mb', o['memory-mb']) } : {}),
  };
  return Object.keys(limits).length > 0 ? limits : undefined;
}

/** `--test name=code`: an assert-style test (statements run with the program's names in scope). */
function parseTest(spec: string): { name: string; code: string } {
  const i = spec.indexOf('=');
  if (i <= 0 || i === spec.length - 1) throw usageError(`--test needs name=code, not ${JSON.stringify(spec)}`);
  return { name: spec.slice(0, i), code: spec.slice(i + 1) };
}

function positiveInt(flag: string, value: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw usageError(`${flag} must be a positive integer, not ${JSON.stringify(value)}`);
  return Number(value);
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw usageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}
