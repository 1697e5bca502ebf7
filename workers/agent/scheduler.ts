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
}

/**
 * Starts each action of a turn as soon as its dependencies are done. `async`
 * actions wait only for their `depends_on`; a `sync` action also waits for every
 * action declared before it, and every later action waits for it. Outputs are
 * published under the action's id and its output_key for `$ref` substitution.
 */
export class TurnScheduler {
  private readonly pending = new Map<string, Promise<ActionOutcome>>();
  private readonly declared: string[] = [];
  private lastSync: string | undefined;

  constructor(
    /** Outputs of earlier turns' actions, by id and output_key; this turn's are added. */
    private readonly outputs: Map<string, unknown>,
    private readonly known: Set<string>,
    private readonly perform: (action: ParsedAction, input: unknown) => Promise<ActionOutcome>,
  ) {}

  /** Returns an error message when the action can't be scheduled (unknown dependency, duplicate id). */
  add(action: ParsedAction): string | undefined {
    if (this.pending.has(action.id) || this.known.has(action.id)) return `action id "${action.id}" is used twice`;
    const unknown = action.dependsOn.filter((d) => !this.pending.has(d) && !this.known.has(d));
    if (unknown.length > 0) return `action ${action.id} depends on unknown action(s) ${unknown.join(', ')}`;
    const deps = new Set(action.dependsOn.filter((d) => this.pending.has(d)));
    if (this.lastSync) deps.add(this.lastSync);
    if (action.mode === 'sync') for (const id of this.declared) deps.add(id);
    const waitFor = [...deps].map((d) => this.pending.get(d)!);
    const started = Promise.all(waitFor).then((before) => {
      const failed = before.filter((b) => !b.ok).map((b) => b.id);
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
    this.pending.set(action.id, done);
    this.declared.push(action.id);
    if (action.mode === 'sync') this.lastSync = action.id;
    return undefined;
  }

  /** Every action of the turn, settled, in declaration order. */
  async settle(): Promise<ActionOutcome[]> {
    const all = await Promise.all(this.declared.map((id) => this.pending.get(id)!));
    for (const id of this.declared) this.known.add(id);
    return all;
  }
}
