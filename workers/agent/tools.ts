import { z } from 'zod';
import type { JobEmitter } from '../../core/emitter';
import type { RunDoc } from '../../core/runs';
import { LANGUAGES } from '../../sandbox/types';
import type { RunContext } from '../executors/context';
import type { ParsedAction } from './parser';
import type { ActionSession } from './session';

/**
 * What each action type does. Inputs are validated here; an invalid input or a
 * failing tool makes the action fail (its error is fed back to the model), it
 * never crashes the run.
 */
export interface ActionEnv {
  run: RunDoc;
  ctx: RunContext;
  emitter: JobEmitter;
  signal: AbortSignal;
  /** The run's shared session for `run_code` (files persist from action to action). */
  session?: ActionSession;
}

const runCode = z.object({
  tool: z.literal('run_code'),
  language: z.enum(LANGUAGES),
  code: z.string().min(1),
  stdin: z.string().optional(),
});
const readArtifact = z.object({
  tool: z.literal('read_artifact'),
  runId: z.string().optional(),
  attempt: z.number().int().optional(),
  kind: z.string().optional(),
});
const toolInput = z.discriminatedUnion('tool', [runCode, readArtifact]);
const llmInput = z.object({ prompt: z.string().min(1), model: z.string().optional(), system: z.string().optional() });

export async function performAction(action: ParsedAction, input: unknown, env: ActionEnv): Promise<unknown> {
  switch (action.type) {
    case 'tool':
      return performTool(action, parse(toolInput, input, action), env);
    case 'llm':
      return callModel(action, parse(llmInput, input, action), env);
    case 'internal':
      // A context feed: its value is handed back to the model with the other results.
      return input;
  }
}

async function performTool(action: ParsedAction, input: z.infer<typeof toolInput>, env: ActionEnv): Promise<unknown> {
  if (input.tool === 'run_code') {
    const req = {
      runId: env.run._id,
      language: input.language,
      code: input.code,
      stdin: input.stdin,
      limits: env.run.limits,
      signal: env.signal,
      onOutput: (stream: 'stdout' | 'stderr', chunk: string) => env.emitter.emit({ type: stream, data: { chunk, action: action.id } }),
    };
    const shared = env.session?.available ? await env.session.get() : null;
    const r = shared ? await shared.session.run(req) : await env.ctx.sandbox.run(req);
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode, verdict: r.verdict, truncated: r.truncated, ...(shared?.fresh ? { freshWorkspace: true } : {}) };
  }
  const runId = input.runId ?? env.run._id;
  if (runId !== env.run._id) {
    const other = await env.ctx.runs.get(runId);
    if (!other || other.owner !== env.run.owner) throw new Error(`run ${runId} not found`);
  }
  const docs = await env.ctx.artifacts.list(runId);
  return docs
    .filter((d) => (input.attempt === undefined || d.attempt === input.attempt) && (input.kind === undefined || d.kind === input.kind))
    .map((d) => ({ attempt: d.attempt, kind: d.kind, key: d.key, data: d.data }));
}

async function callModel(action: ParsedAction, input: z.infer<typeof llmInput>, env: ActionEnv): Promise<unknown> {
  const messages = [
    ...(input.system ? [{ role: 'system' as const, content: input.system }] : []),
    { role: 'user' as const, content: input.prompt },
  ];
  const res = await env.ctx.llm.chat({
    model: input.model ?? env.run.request.model,
    messages,
    signal: env.signal,
    onDelta: (delta) => env.emitter.emit({ type: 'token', data: { model: `action:${action.id}`, delta } }),
  });
  return { text: res.text, model: res.model, usage: res.usage };
}

function parse<S extends z.ZodType>(schema: S, input: unknown, action: ParsedAction): z.infer<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw new Error(`action ${action.id}: invalid input: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`);
}
