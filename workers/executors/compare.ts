import type { Finale } from '../../core/events';
import type { ChatMessage, Llm } from '../../llm';
import type { CompareResult, ConsensusResult, LlmTotals, ModelAnswer, RunDoc } from '../../core/runs';
import type { JobEmitter } from '../../core/emitter';
import type { Executor, RunContext } from './context';
import { agreement } from './agreement';

/**
 * kind "compare": one prompt to 2–8 models at once, side by side (text, latency,
 * tokens, cost). Token deltas stream as `token` events tagged with the model as
 * requested; each finished answer is a `step`. Succeeds when any model answered.
 */
export const executeCompare: Executor = async (run, ctx, emitter) => {
  const answers = await askAll(run, ctx, emitter);
  const result: CompareResult = { answers, totals: totals(answers) };
  return cancelledOr(ctx, { status: answers.some(ok) ? 'succeeded' : 'failed', result });
};

/**
 * kind "consensus": the compare answers, then a judge model synthesises them; the
 * agreement measure says how alike the answers were. Needs two answers and the judge.
 */
export const executeConsensus: Executor = async (run, ctx, emitter) => {
  const answers = await askAll(run, ctx, emitter);
  const good = answers.filter(ok);
  const judgeRef = run.request.judge ?? 'auto';
  const judge: ModelAnswer =
    good.length >= 2
      ? await ask(ctx, emitter, judgeRef, 'judge', judgeMessages(run.request.prompt ?? '', good), run)
      : { requested: judgeRef, latencyMs: 0, error: 'fewer than two models answered' };
  const all = [...answers, judge];
  const result: ConsensusResult = {
    answers,
    judge,
    agreement: agreement(good.map((a) => a.text ?? '')),
    totals: totals(all),
  };
  return cancelledOr(ctx, { status: ok(judge) ? 'succeeded' : 'failed', result });
};

const ok = (a: ModelAnswer) => a.error === undefined;

function askAll(run: RunDoc, ctx: RunContext, emitter: JobEmitter): Promise<ModelAnswer[]> {
  const messages = promptMessages(run);
  const models = run.request.models ?? [];
  return Promise.all(models.map((ref, i) => ask(ctx, emitter, ref, `${i}:${ref}`, messages, run)));
}

/** One model's answer; a failure is recorded on the answer, not thrown (unless the run was aborted). */
async function ask(
  ctx: RunContext,
  emitter: JobEmitter,
  requested: string,
  tag: string,
  messages: ChatMessage[],
  run: RunDoc,
): Promise<ModelAnswer> {
  const started = Date.now();
  try {
    const model = await resolveModel(ctx.llm, requested);
    const res = await ctx.llm.chat({
      model,
      messages,
      temperature: run.request.temperature,
      maxOutputTokens: run.request.maxOutputTokens,
      signal: ctx.signal,
      onDelta: (delta) => emitter.emit({ type: 'token', data: { model: tag, delta } }),
    });
    const answer: ModelAnswer = {
      requested,
      model: res.model,
      text: res.text,
      latencyMs: res.latencyMs,
      usage: res.usage,
      ...(res.costUsd !== undefined ? { costUsd: res.costUsd } : {}),
    };
    emitter.emit({ type: 'step', data: { name: 'answer', tag, ...answer } });
    return answer;
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    const answer: ModelAnswer = { requested, latencyMs: Date.now() - started, error: (err as Error).message };
    emitter.emit({ type: 'step', data: { name: 'answer', tag, ...answer } });
    return answer;
  }
}

/** "auto": the cheapest healthy chat model by configured prices (the declared default policy). */
async function resolveModel(llm: Llm, requested: string): Promise<string> {
  if (requested !== 'auto') return requested;
  const picked = await llm.selectModel({ capability: 'chat', prefer: 'cheapest' });
  if (!picked) throw new Error('no healthy chat model is configured for "auto"');
  return picked.id;
}

function promptMessages(run: RunDoc): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (run.request.system) messages.push({ role: 'system', content: run.request.system });
  messages.push({ role: 'user', content: run.request.prompt ?? '' });
  return messages;
}

function judgeMessages(prompt: string, answers: ModelAnswer[]): ChatMessage[] {
  const listed = answers.map((a, i) => `Answer ${i + 1} (${a.model}):\n${a.text}`).join('\n\n');
  return [
    {
      role: 'system',
      content:
        'You are a careful judge. Several models answered the same question. Write the single best answer, ' +
        'keeping what the answers agree on and resolving disagreements on the merits. Reply with the answer only.',
    },
    { role: 'user', content: `Question:\n${prompt}\n\n${listed}` },
  ];
}

function totals(answers: ModelAnswer[]): LlmTotals {
  return answers.reduce<LlmTotals>(
    (t, a) => ({
      inputTokens: t.inputTokens + (a.usage?.inputTokens ?? 0),
      outputTokens: t.outputTokens + (a.usage?.outputTokens ?? 0),
      costUsd: t.costUsd + (a.costUsd ?? 0),
    }),
    { inputTokens: 0, outputTokens: 0, costUsd: 0 },
  );
}

/** A cancel that arrived while models were answering wins over the outcome. */
function cancelledOr(ctx: RunContext, finale: Finale): Finale {
  return ctx.signal.reason === 'cancelled' ? { status: 'cancelled', result: finale.result } : finale;
}
