import { isDeepStrictEqual } from 'node:util';
import type { ParsedAction } from './parser';
import { substitute } from './substitute';

export interface ActionOutcome {
  id: string;
  type: string;
  outputKey?: string;
  ok: boolean;
  output?: unknown;
  error?: string;
  startedAt: number;
  finishedAt: number;
  /** Set when the action was re-sent unchanged and not run again: the step whose result this is. */
  reusedFrom?: number;
}

/** An action of an earlier turn, as it was declared and how it ended. */
export interface PastAction {
  step: number;
  action: ParsedAction;
  outcome: ActionOutcome;
}

/**
 * Starts each action of a turn as soon as its dependencies are done. `async`
 * actions wait only for their `depends_on`; a `sync` action also waits for every
 * action declared before it, and every later action waits for it. Outputs are
 * published under the action's id and its output_key for `$ref` substitution.
 *
 * Re-sent actions (docs/agent-protocol.md, "Re-sent actions"): an id that already
 * ran successfully, sent again with the same type, input and output_key, is not
 * run again: its earlier outcome is reused. The same id with anything else
 * changed is refused (the model is told). An id whose earlier run failed may be
 * sent again and runs again. Within one turn, an exact repeat is ignored and a
 * different action under the same id is refused.
 */
export class TurnScheduler {
  private readonly pending = new Map<string, Promise<ActionOutcome>>();
  private readonly actions = new Map<string, ParsedAction>();
  private readonly declared: string[] = [];
  private lastSync: string | undefined;

  constructor(
    private readonly step: number,
    /** Outputs of earlier turns' actions, by id and output_key; this turn's are added. */
    private readonly outputs: Map<string, unknown>,
    /** Earlier turns' actions by id (the latest run of each id); this turn's are added by settle(). */
    private readonly history: Map<string, PastAction>,
    private readonly perform: (action: ParsedAction, input: unknown) => Promise<ActionOutcome>,
  ) {}

  /** Returns an error message when the action can't be scheduled (unknown dependency, id reused for another action). */
  add(action: ParsedAction): string | undefined {
    const same = (a: ParsedAction) => a.type === action.type && a.outputKey === action.outputKey && isDeepStrictEqual(a.input, action.input);
    const inTurn = this.actions.get(action.id);
    if (inTurn) return same(inTurn) ? undefined : `action id "${action.id}" is used twice in this output for different actions`;
    const past = this.history.get(action.id);
    if (past?.outcome.ok) {
      if (!same(past.action)) {
        return `action id "${action.id}" already ran (step ${past.step}) with a different type, input or output_key; give the new action a new id`;
      }
      const reused: ActionOutcome = { ...past.outcome, reusedFrom: past.outcome.reusedFrom ?? past.step };
      this.track(action, Promise.resolve(reused));
      return undefined;
    }
    const unknown = action.dependsOn.filter((d) => !this.pending.has(d) && !this.history.has(d));
    if (unknown.length > 0) return `action ${action.id} depends on unknown action(s) ${unknown.join(', ')}`;
    const deps = new Set(action.dependsOn.filter((d) => this.pending.has(d)));
    if (this.lastSync) deps.add(this.lastSync);
    if (action.mode === 'sync') for (const id of this.declared) deps.add(id);
    const failedBefore = action.dependsOn.filter((d) => !this.pending.has(d) && !this.history.get(d)!.outcome.ok);
    const waitFor = [...deps].map((d) => this.pending.get(d)!);
    const started = Promise.all(waitFor).then((before) => {
      // What it waited for includes sync predecessors: their failure fails it too.
      const failed = [...failedBefore, ...before.filter((b) => !b.ok).map((b) => b.id)];
      if (failed.length > 0) {
        const now = Date.now();
        return { id: action.id, type: action.type, outputKey: action.outputKey, ok: false, error: `dependency failed: ${failed.join(', ')}`, startedAt: now, finishedAt: now };
      }
      return this.perform(action, substitute(action.input, this.outputs));
    });
    const done = started.then((outcome) => {
      if (outcome.ok) {
        this.outputs.set(action.id, outcome.output);
        if (action.outputKey) this.outputs.set(action.outputKey, outcome.output);
      }
      return outcome;
    });
    this.track(action, done);
    if (action.mode === 'sync') this.lastSync = action.id;
    return undefined;
  }

  private track(action: ParsedAction, outcome: Promise<ActionOutcome>): void {
    this.pending.set(action.id, outcome);
    this.actions.set(action.id, action);
    this.declared.push(action.id);
  }

  /** Every action of the turn, settled, in declaration order; they join the history. */
  async settle(): Promise<ActionOutcome[]> {
    const all = await Promise.all(this.declared.map((id) => this.pending.get(id)!));
    for (const outcome of all) {
      if (outcome.reusedFrom === undefined) this.history.set(outcome.id, { step: this.step, action: this.actions.get(outcome.id)!, outcome });
    }
    return all;
  }
}
