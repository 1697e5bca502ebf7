import type { JobEmitter } from '../../core/emitter';
import type { ExperimentDoc, MessageDoc, TerminationReason } from '../../core/experiments';
import { sumMessages } from '../../core/experiments';
import { isAbortError, ProviderError } from '../../llm';
import type { ExperimentContext } from './context';
import { resolveModel } from './models';
import { agentMessages } from './prompts';
import { chooseSpeaker } from './speakers';

export interface IterationOutcome {
  reason: TerminationReason;
  detail?: string;
}

/**
 * Runs (or resumes) one iteration's conversation. The persisted messages are
 * the state: on resume the conversation continues after the last stored one,
 * so no stored message is asked for again. Each message is stored, then
 * announced as a `message` event. Returns why it stopped; throws on shutdown
 * and on infrastructure failures (the job is retried and resumes here).
 */
export async function runIteration(
  exp: ExperimentDoc,
  iteration: number,
  startedAt: Date,
  ctx: ExperimentContext,
  emitter: JobEmitter,
  onMessage: (transcript: MessageDoc[]) => Promise<void>,
): Promise<IterationOutcome> {
  const req = exp.request;
  const transcript = await ctx.messages.list(exp._id, iteration);
  // A crash between storing and announcing: announce now (consumers key messages by iteration and seq).
  for (const m of transcript) if (!m.announced) await announce(m, ctx, emitter);

  const deadline = req.termination.timeoutMs !== undefined ? startedAt.getTime() + req.termination.timeoutMs : Infinity;
  for (;;) {
    const stop = stopReason(exp, transcript, deadline);
    if (stop) return stop;
    if (ctx.signal.aborted) return aborted(ctx);

    const seq = transcript.length + 1;
    const turn = turnSignal(ctx.signal, deadline);
    try {
      const { agent, selector } = await chooseSpeaker(req, transcript, ctx.llm, turn.signal);
      const res = await ctx.llm.chat({
        model: await resolveModel(ctx.llm, agent.model),
        messages: agentMessages(agent, req.agents, req.task.prompt, transcript),
        temperature: agent.temperature,
        maxOutputTokens: agent.maxOutputTokens,
        signal: turn.signal,
        onDelta: (delta) => emitter.emit({ type: 'token', data: { model: agent.model, delta, agent: agent.name, iteration, seq } }),
      });
      const n = req.agents.length;
      const message: MessageDoc = {
        _id: `${exp._id}:${iteration}:${seq}`,
        experimentId: exp._id,
        iteration,
        seq,
        round: Math.floor((seq - 1) / n) + 1,
        turn: (seq - 1) % n,
        agent: agent.name,
        model: res.model,
        content: res.text,
        usage: res.usage,
        ...(res.costUsd !== undefined ? { costUsd: res.costUsd } : {}),
        latencyMs: res.latencyMs,
        ...(selector ? { selector } : {}),
        createdAt: new Date(),
      };
      // A duplicate means another holder of this job stored it first: theirs is the message.
      const stored = (await ctx.messages.insert(message)) ? message : (await ctx.messages.list(exp._id, iteration)).find((m) => m.seq === seq)!;
      transcript.push(stored);
      await announce(stored, ctx, emitter);
      await onMessage(transcript);
    } catch (err) {
      if (ctx.signal.aborted) return aborted(ctx);
      if (turn.timedOut()) return { reason: 'timeout', detail: `iteration exceeded ${req.termination.timeoutMs} ms` };
      if (err instanceof ProviderError || isAbortError(err)) {
        ctx.log.warn({ err, experimentId: exp._id, iteration, seq }, 'an agent could not answer; the iteration ends');
        return { reason: 'error', detail: (err as Error).message };
      }
      throw err;
    } finally {
      turn.dispose();
    }
  }
}

/**
 * Termination, checked before every turn (also right after a resume), first
 * match wins: keyword in the last message → token budget reached → maxMessages
 * reached → all rounds done → timeout.
 */
function stopReason(exp: ExperimentDoc, transcript: MessageDoc[], deadline: number): IterationOutcome | undefined {
  const { termination, rounds, agents } = exp.request;
  const last = transcript[transcript.length - 1];
  if (termination.keyword && last && last.content.toLowerCase().includes(termination.keyword.toLowerCase())) {
    return { reason: 'keyword', detail: `${last.agent} said "${termination.keyword}"` };
  }
  if (termination.tokenBudget !== undefined) {
    const used = sumMessages(transcript).tokens;
    if (used >= termination.tokenBudget) return { reason: 'token_budget', detail: `${used} of ${termination.tokenBudget} tokens used` };
  }
  if (termination.maxMessages !== undefined && transcript.length >= termination.maxMessages) {
    return { reason: 'max_messages', detail: `${transcript.length} messages` };
  }
  if (transcript.length >= rounds * agents.length) return { reason: 'rounds', detail: `${rounds} rounds` };
  if (Date.now() >= deadline) return { reason: 'timeout', detail: `iteration exceeded ${termination.timeoutMs} ms` };
  return undefined;
}

async function announce(m: MessageDoc, ctx: ExperimentContext, emitter: JobEmitter): Promise<void> {
  const { _id, announced, ...data } = m;
  emitter.emit({ type: 'message', data });
  await emitter.flush();
  await ctx.messages.markAnnounced(_id);
}

/** Cancel ends the iteration; shutdown is thrown so the job goes back to the queue and resumes. */
function aborted(ctx: ExperimentContext): IterationOutcome {
  if (ctx.signal.reason === 'cancelled') return { reason: 'cancelled' };
  throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error(String(ctx.signal.reason));
}

/** The job's signal, plus the iteration's deadline (timeoutMs). */
function turnSignal(parent: AbortSignal, deadline: number) {
  const timer = new AbortController();
  const handle = Number.isFinite(deadline) ? setTimeout(() => timer.abort('timeout'), Math.max(0, deadline - Date.now())) : undefined;
  return {
    signal: AbortSignal.any([parent, timer.signal]),
    timedOut: () => timer.signal.aborted && !parent.aborted,
    dispose: () => clearTimeout(handle),
  };
}
