/**
 * The boot frame: how files and the command reach a container whose rootfs is
 * read-only and whose /workspace tmpfs only exists once it runs. The frame is
 * written to the container's stdin, followed by the user's stdin; the in-image
 * bootstrap (docker/sandbox/rootfs/opt/paddock/boot.py) reads exactly the frame,
 * writes the files and execs argv, so the program reads the rest as its stdin.
 *
 *   [u32 big-endian N][N bytes JSON {v: 1, files, argv}][user stdin...]
 */
import { ValidationError } from '../core/errors';
import type { Language, SandboxFile } from './types';

export interface LanguageSpec {
  /** File the request's `code` is written to, in the workdir. */
  mainFile: string;
  /** What the bootstrap execs (absolute paths: no PATH lookup needed). */
  argv: string[];
}

export const LANGUAGE_SPECS: Record<Language, LanguageSpec> = {
  python: { mainFile: 'main.py', argv: ['/usr/bin/python3', 'main.py'] },
  javascript: { mainFile: 'main.js', argv: ['/usr/bin/node', 'main.js'] },
  bash: { mainFile: 'main.sh', argv: ['/bin/bash', 'main.sh'] },
};

/** Exit status of the bootstrap itself when it cannot set the program up. */
export const BOOT_FAILURE_EXIT = 125;

const MAX_FILES = 1000;
const MAX_PATH = 255;

/**
 * Checks one relative path: not absolute, no `..`, no empty or odd segments.
 * Returns the normalised path (`./a//b` → `a/b`). The bootstrap checks again.
 */
export function normaliseFilePath(path: string): string {
  if (typeof path !== 'string' || path.length === 0 || path.length > MAX_PATH) {
    throw new ValidationError(`file path must be 1..${MAX_PATH} characters`, { path });
  }
  if (path.startsWith('/') || path.includes('\\') || path.includes('\0')) {
    throw new ValidationError('file path must be relative, with / separators', { path });
  }
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.some((p) => p === '..')) {
    throw new ValidationError('file path must stay inside the workdir', { path });
  }
  return parts.join('/');
}

/** Validates the files and puts the main program first. */
export function planFiles(language: Language, code: string, files: SandboxFile[] = []): SandboxFile[] {
  const { mainFile } = LANGUAGE_SPECS[language];
  if (files.length > MAX_FILES) throw new ValidationError(`at most ${MAX_FILES} files`);
  const seen = new Set<string>([mainFile]);
  const out: SandboxFile[] = [{ path: mainFile, content: code }];
  for (const f of files) {
    const path = normaliseFilePath(f.path);
    // A file may not also be a directory of another (a vs a/b) or repeat one.
    const prefixes = path.split('/').slice(0, -1).map((_, i, a) => a.slice(0, i + 1).join('/'));
    if (seen.has(path) || prefixes.some((p) => seen.has(p)) || [...seen].some((s) => s.startsWith(path + '/'))) {
      throw new ValidationError('file paths must be unique and not overlap the main file', { path });
    }
    seen.add(path);
    out.push({ path, content: String(f.content) });
  }
  return out;
}

/** The frame followed by the user's stdin, ready to write to the attach stream. */
export function encodeBootFrame(files: SandboxFile[], argv: string[], stdin = ''): Buffer {
  const header = Buffer.from(JSON.stringify({ v: 1, files, argv }), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(header.length, 0);
  return Buffer.concat([len, header, Buffer.from(stdin, 'utf8')]);
}
