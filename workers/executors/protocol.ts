import type { ProtocolResult } from '../../core/runs';
import { ProtocolParser, type ParsedAction, type ProtocolElement } from '../agent/parser';
import { TurnScheduler, type ActionOutcome, type PastAction } from '../agent/scheduler';
import { performAction, type ActionEnv } from '../agent/tools';
import type { Executor } from './context';

/** A protocol run is one turn: its events and artifacts say step 1, as an agent's first turn would. */
const STEP = 1;

/**
 * kind "protocol": a protocol document (docs/agent-protocol.md) run as if a model
 * had written it, with no model call, so tools and documents can be tried out.
 * The agent's own parser and scheduler do the work: actions start in document
 * order as their dependencies finish, `$key` references resolve against the
 * request's `context` first and then against earlier actions' outputs. What a
 * model's turn would get a corrective prompt for is reported as `malformed`
 * (the valid actions run anyway, as in an agent turn) and fails the run.
 * Action outcomes are artifacts, so a retried job does not run a finished action again.
 */
export const executeProtocol: Executor = async (run, ctx, emitter) => {
  const req = run.request;
  const context = req.context ?? {};
  const budget = AbortSignal.timeout(req.timeBudgetMs ?? 120_000);
  const signal = AbortSignal.any([ctx.signal, budget]);
  const env: ActionEnv = { run, ctx, emitter, signal };
  const stored = new Map(
    (await ctx.artifacts.list(run._id)).filter((d) => d.kind === 'action' && d.attempt === STEP).map((d) => [d.key ?? '', d.data as ActionOutcome]),
  );
  const malformed: string[] = [];
  const seen = { action: false, response: false };
  const responses: { final: boolean; text: string }[] = [];

  const perform = async (action: ParsedAction, input: unknown): Promise<ActionOutcome> => {
    const done = stored.get(action.id);
    if (done) return done;
    const startedAt = Date.now();
    emitter.emit({ type: 'step', data: { name: 'action_started', step: STEP, id: action.id, type: action.type, mode: action.mode, startedAt } });
    let outcome: ActionOutcome;
    try {
      // Failing like any action that fails, so that its dependents fail as they would in an agent run.
      if (action.type === 'llm') throw new Error(`action ${action.id}: llm actions need a model, and a protocol run calls none`);
      const output = await performAction(action, input, env);
      outcome = { id: action.id, type: action.type, outputKey: action.outputKey, ok: true, output, startedAt, finishedAt: Date.now() };
    } catch (err) {
      // Cancel and shutdown end the job (the lifecycle decides how); a spent time budget only fails the action.
      if (ctx.signal.aborted) throw err;
      outcome = { id: action.id, type: action.type, outputKey: action.outputKey, ok: false, error: (err as Error).message, startedAt, finishedAt: Date.now() };
    }
    emitter.emit({ type: 'step', data: { name: 'action_finished', step: STEP, ...outcome } });
    return (await ctx.artifacts.put(run._id, STEP, 'action', outcome, action.id)).data;
  };

  // The context is what `$key` can name before any action ran.
  const scheduler = new TurnScheduler(STEP, new Map(Object.entries(context)), new Map<string, PastAction>(), perform);
  const parser = new ProtocolParser((e: ProtocolElement) => {
    if (e.kind === 'thought') emitter.emit({ type: 'step', data: { name: 'thought', step: STEP, text: e.text } });
    if (e.kind === 'response') {
      seen.response = true;
      responses.push({ final: e.final, text: e.text });
    }
    if (e.kind === 'malformed') malformed.push(e.reason);
    if (e.kind === 'action') {
      seen.action = true;
      const shadowed = [e.action.id, e.action.outputKey].find((name) => name !== undefined && Object.hasOwn(context, name));
      // An output under a context key would change what `$key` means halfway through the document.
      if (shadowed !== undefined) malformed.push(`action ${e.action.id}: "${shadowed}" is a context key; give the action another id or output_key`);
      else {
        const problem = scheduler.add(e.action);
        if (problem) malformed.push(problem);
      }
    }
  });
  parser.push(req.protocolText ?? '');
  parser.end();
  if (!seen.action && !seen.response && malformed.length === 0) malformed.push('the document contains no <action> or <response> element');
  const outcomes = await scheduler.settle();
  // A cancel or shutdown that came while programs ran killed them (verdict `killed`) rather than throwing: the lifecycle ends the job.
  ctx.signal.throwIfAborted();
  // The whole document is parsed before its first action starts: a response reported then would come before the work it sums up.
  for (const r of responses) emitter.emit({ type: 'step', data: { name: 'response', step: STEP, ...r } });
  const response = responses.findLast((r) => r.final)?.text;
  if (malformed.length > 0) emitter.emit({ type: 'step', data: { name: 'malformed', step: STEP, reasons: malformed } });

  const result: ProtocolResult = {
    ...(response !== undefined ? { response } : {}),
    actions: outcomes.map(({ id, type, ok, startedAt, finishedAt, error }) => ({ id, type, ok, startedAt, finishedAt, ...(error ? { error } : {}) })),
    outputs: Object.fromEntries(outcomes.filter((o) => o.ok).map((o) => [o.id, o.output])),
    malformed,
  };
  const ok = malformed.length === 0 && outcomes.every((o) => o.ok);
  if (budget.aborted) return { status: 'timed_out', result };
  return { status: ok ? 'succeeded' : 'failed', result };
};
