import { z } from 'zod';
import type { JobDoc } from '../jobs/model';

/** The model-pull model shared by the API, the workers and ensureModelInstalled. */

export const PULL_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'error'] as const;
export type PullState = (typeof PULL_STATES)[number];
export const isPullTerminal = (s: PullState): boolean => s !== 'queued' && s !== 'running';

/** Ollama model names: `[host/][namespace/]name[:tag]`, e.g. `llama3.2:1b`, `hf.co/org/repo:Q4_K_M`. */
export const modelNameSchema = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._\-/:]*$/, 'an Ollama model name such as llama3.2:1b')
  .refine((n) => !n.includes('..') && !n.includes('//') && !n.endsWith('/') && !n.endsWith(':'), { message: 'an Ollama model name such as llama3.2:1b' });

export const pullRequestSchema = z
  .object({
    name: modelNameSchema,
    /** A provider of type "ollama" (LLM_PROVIDERS) by name; default: OLLAMA_URL, else the first ollama provider. */
    server: z.string().min(1).max(100).optional(),
  })
  .strict();

/**
 * Ollama reads a name without a tag as `:latest`; normalising makes `llama3` and
 * `llama3:latest` the same pull and the same installed model.
 */
export function normalizeModelName(name: string): string {
  const last = name.slice(name.lastIndexOf('/') + 1);
  return last.includes(':') ? name : `${name}:latest`;
}

/** Where Ollama is: a named provider, or `default` for OLLAMA_URL. The API key is never stored. */
export interface OllamaServerRef {
  name: string;
  url: string;
}

export interface PullProgress {
  /** 0–100, one decimal; never goes down, 100 only after Ollama said "success". */
  percent: number;
  /** Summed over every layer seen so far. */
  completedBytes: number;
  totalBytes: number;
  /** Over the last few seconds. */
  bytesPerSecond: number;
  /** null while the rate is unknown. */
  etaSeconds: number | null;
  /** Ollama's last status line, e.g. "pulling manifest", "pulling 6a0746a1ec1a", "verifying sha256 digest". */
  status: string;
  /** `manifest` · `downloading` · `verifying` · `writing` · `success` (or Ollama's text for other steps). */
  phase: string;
  /** Layers seen so far. */
  layers: number;
}

export interface PullDoc extends JobDoc {
  _id: string;
  /** Everyone who asked for this pull while it was active: each of them may see and cancel it. */
  owners: string[];
  model: string;
  server: OllamaServerRef;
  /** True while queued or running: a partial unique index on (server.url, model) makes concurrent requests share one pull. */
  active?: true;
  status: PullState;
  progress: PullProgress;
  /** Processing attempts (a worker crash adds one). */
  attempts: number;
  /** Times the download stream was restarted after an error line, a dropped connection or a stall. */
  retries: number;
  cancelRequested?: boolean;
  createdAt: Date;
  updatedAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  error?: { code: string; message: string };
}

export const initialProgress = (): PullProgress => ({
  percent: 0, completedBytes: 0, totalBytes: 0, bytesPerSecond: 0, etaSeconds: null, status: 'queued', phase: 'queued', layers: 0,
});
