import type { Finale } from '../../core/events';
import type { AgentResult } from '../../core/runs';
import { correctionMessage, initialMessages, missingElementsReason, resultsMessage } from '../agent/prompt';
import { ProtocolParser, type ParsedAction, type ProtocolElement } from '../agent/parser';
import { TurnScheduler, type ActionOutcome, type PastAction } from '../agent/scheduler';
import { performAction, type ActionEnv } from '../agent/tools';
import { ActionSession } from '../agent/session';
import type { Executor } from './context';

interface TurnArtifact {
  text: string;
  model: string;
  usage: { inputTokens: number; outputTokens: number };
  costUsd: number;
}

/** Malformed turns in a row that get a corrective prompt; the next one in a row ends the run. */
const MAX_CORRECTIONS = 2;

/**
 * kind "agent": the streaming protocol (docs/agent-protocol.md). Each model turn
 * is parsed while it streams; actions start as their dependencies finish; their
 * results go back to the model until a final response or a budget ends the run.
 * Turns and action outcomes are artifacts, so a resumed run replays finished
 * turns and actions instead of repeating them. Its `run_code` actions share one
 * sandbox session (workers/agent/session.ts), ended with the run.
 */
export const executeAgent: Executor = async (run, ctx, emitter) => {
  const session = new ActionSession(ctx.sandbox, run);
  try {
    return await agentLoop(run, ctx, emitter, session);
  } finally {
    await session.close();
  }
};

const agentLoop = async (...[run, ctx, emitter, session]: [...Parameters<Executor>, ActionSession]): Promise<Finale> => {
  const req = run.request;
  const maxSteps = req.maxSteps ?? 8;
  const budget = AbortSignal.timeout(req.timeBudgetMs ?? 120_000);
  const signal = AbortSignal.any([ctx.signal, budget]);
  const env: ActionEnv = { run, ctx, emitter, signal, session };
  const stored = new Map((await ctx.artifacts.list(run._id)).map((d) => [`${d.attempt}:${d.kind}:${d.key ?? ''}`, d.data]));
  const outputs = new Map<string, unknown>();
  const history = new Map<string, PastAction>();
  const messages = initialMessages(req.prompt ?? '', req.system);
  const result: AgentResult = { stoppedBy: 'max_steps', steps: 0, actions: [], usage: { inputTokens: 0, outputTokens: 0 }, costUsd: 0, malformedTurns: 0 };
  // Malformed turns since the last good one: a good turn resets it.
  let malformedInARow = 0;

  const perform = async (step: number, action: ParsedAction, input: unknown): Promise<ActionOutcome> => {
    const done = stored.get(`${step}:action:${action.id}`) as ActionOutcome | undefined;
    if (done) return done;
    const startedAt = Date.now();
    emitter.emit({ type: 'step', data: { name: 'action_started', step, id: action.id, type: action.type, mode: action.mode, startedAt } });
    let outcome: ActionOutcome;
    try {
      const output = await performAction(action, input, env);
      outcome = { id: action.id, type: action.type, outputKey: action.outputKey, ok: true, output, startedAt, finishedAt: Date.now() };
    } catch (err) {
      if (signal.aborted) throw err;
      outcome = { id: action.id, type: action.type, outputKey: action.outputKey, ok: false, error: (err as Error).message, startedAt, finishedAt: Date.now() };
    }
    emitter.emit({ type: 'step', data: { name: 'action_finished', step, ...outcome } });
    return (await ctx.artifacts.put(run._id, step, 'action', outcome, action.id)).data;
  };

  for (let step = 1; step <= maxSteps; step++) {
    result.steps = step;
    const scheduler = new TurnScheduler(step, outputs, history, (action, input) => perform(step, action, input));
    const malformed: string[] = [];
    const seen = { thought: false, action: false, response: false };
    let final: string | undefined;
    const parser = new ProtocolParser((e: ProtocolElement) => {
      if (e.kind !== 'malformed') seen[e.kind] = true;
      if (e.kind === 'thought') emitter.emit({ type: 'step', data: { name: 'thought', step, text: e.text } });
      if (e.kind === 'response') {
        emitter.emit({ type: 'step', data: { name: 'response', step, final: e.final, text: e.text } });
        if (e.final) final = e.text;
      }
      if (e.kind === 'malformed') malformed.push(e.reason);
      if (e.kind === 'action') {
        const problem = scheduler.add(e.action);
        if (problem) malformed.push(problem);
      }
    });

    let turn = stored.get(`${step}:turn:`) as TurnArtifact | undefined;
    if (turn) {
      parser.push(turn.text); // replayed: no model call
    } else {
      const res = await ctx.llm.chat({
        model: req.model,
        messages,
        temperature: req.temperature,
        maxOutputTokens: req.maxOutputTokens,
        signal,
        onDelta: (delta) => {
          emitter.emit({ type: 'token', data: { model: `step-${step}`, delta } });
          parser.push(delta);
        },
      });
      turn = (await ctx.artifacts.put(run._id, step, 'turn', { text: res.text, model: res.model, usage: res.usage, costUsd: res.costUsd ?? 0 }))
        .data;
    }
    parser.end();
    // Prose, a JSON tool call, or thoughts only: nothing to run and no answer.
    if (!seen.action && !seen.response && malformed.length === 0) malformed.push(missingElementsReason(turn.text, seen.thought));
    const outcomes = await scheduler.settle();
    for (const o of outcomes) {
      if (o.reusedFrom !== undefined) emitter.emit({ type: 'step', data: { name: 'action_reused', step, id: o.id, fromStep: o.reusedFrom } });
    }
    const ran = outcomes.filter((o) => o.reusedFrom === undefined);
    result.actions.push(...ran.map(({ id, type, ok, startedAt, finishedAt, error }) => ({ id, type, ok, startedAt, finishedAt, ...(error ? { error } : {}) })));
    result.usage.inputTokens += turn.usage.inputTokens;
    result.usage.outputTokens += turn.usage.outputTokens;
    result.costUsd += turn.costUsd;
    messages.push({ role: 'assistant', content: turn.text });

    if (malformed.length > 0) {
      result.malformedTurns = (result.malformedTurns ?? 0) + 1;
      emitter.emit({ type: 'step', data: { name: 'malformed', step, reasons: malformed } });
      if (++malformedInARow > MAX_CORRECTIONS) return finish(result, 'malformed_output');
      messages.push(correctionMessage(malformed, outcomes));
      continue;
    }
    malformedInARow = 0;
    if (final !== undefined) {
      result.response = final;
      return finish(result, 'final_response');
    }
    if (req.tokenBudget && result.usage.inputTokens + result.usage.outputTokens >= req.tokenBudget) return finish(result, 'token_budget');
    messages.push(resultsMessage(outcomes));
  }
  return finish(result, 'max_steps');

  function finish(r: AgentResult, stoppedBy: AgentResult['stoppedBy']): Finale {
    r.stoppedBy = stoppedBy;
    if (stoppedBy === 'final_response') return { status: 'succeeded', result: r };
    return { status: budget.aborted ? 'timed_out' : 'failed', result: r };
  }
};
