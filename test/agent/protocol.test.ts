import { ProtocolParser, type ProtocolElement } from '../../workers/agent/parser';
import { TurnScheduler, type ActionOutcome } from '../../workers/agent/scheduler';
import { substitute } from '../../workers/agent/substitute';

function parseAll(chunks: string[]): ProtocolElement[] {
  const out: ProtocolElement[] = [];
  const p = new ProtocolParser((e) => out.push(e));
  for (const c of chunks) p.push(c);
  p.end();
  return out;
}

describe('ProtocolParser', () => {
  const text =
    'Sure.<thought>plan</thought>\n<action type="tool" mode="async" id="a" output_key="x">{"tool":"run_code","language":"bash","code":"echo 1"}</action>' +
    '<action id="b" depends_on="a, c">{}</action><response final="true">done</response>';

  it('yields the same elements however the text is split into deltas', () => {
    const whole = parseAll([text]);
    const byChar = parseAll([...text]);
    const random = parseAll(text.match(/[\s\S]{1,7}/g)!);
    expect(byChar).toEqual(whole);
    expect(random).toEqual(whole);
    expect(whole).toEqual([
      { kind: 'thought', text: 'plan' },
      { kind: 'action', action: { id: 'a', type: 'tool', mode: 'async', dependsOn: [], outputKey: 'x', input: { tool: 'run_code', language: 'bash', code: 'echo 1' } } },
      { kind: 'action', action: { id: 'b', type: 'tool', mode: 'sync', dependsOn: ['a', 'c'], outputKey: undefined, input: {} } },
      { kind: 'response', final: true, text: 'done' },
    ]);
  });

  it('reports each element as soon as it closes', () => {
    const seen: string[] = [];
    const p = new ProtocolParser((e) => seen.push(e.kind));
    p.push('<thought>a</thou');
    expect(seen).toEqual([]);
    p.push('ght><action id="x">{}</action><resp');
    expect(seen).toEqual(['thought', 'action']);
  });

  it('reports malformed actions and unclosed elements', () => {
    const out = parseAll(['<action id="a">{not json}</action><action type="magic" id="b">{}</action><action>{}</action><response final="false">open']);
    expect(out.map((e) => (e.kind === 'malformed' ? e.reason : e.kind))).toEqual([
      'action a: its body is not valid JSON',
      'action b: unknown type "magic"',
      'an action needs an id of letters, digits, _ or -',
      '<response> was never closed',
    ]);
  });
});

describe('substitute', () => {
  const outputs = new Map<string, unknown>([['a', { stdout: 'hi\n', n: 2 }], ['k', 'text']]);
  it('replaces whole-string refs by the value and interpolates inside strings', () => {
    expect(substitute({ x: '$a', y: '$a.stdout', z: 'got $k and $a.n', w: ['$k'], keep: '$missing' }, outputs)).toEqual({
      x: { stdout: 'hi\n', n: 2 },
      y: 'hi\n',
      z: 'got text and 2',
      w: ['text'],
      keep: '$missing',
    });
  });
});

describe('TurnScheduler', () => {
  function deferred() {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    return { promise, resolve };
  }
  const action = (id: string, mode: 'sync' | 'async', dependsOn: string[] = [], outputKey?: string) => ({ id, type: 'internal' as const, mode, dependsOn, outputKey, input: { v: id } });

  it('runs async actions in parallel, waits for dependencies, and substitutes outputs', async () => {
    const gates = { a: deferred(), b: deferred() };
    const started: string[] = [];
    const inputs: Record<string, unknown> = {};
    const outputs = new Map<string, unknown>();
    const s = new TurnScheduler(outputs, new Set(), async (act, input) => {
      started.push(act.id);
      inputs[act.id] = input;
      if (act.id in gates) await gates[act.id as 'a' | 'b'].promise;
      return { id: act.id, type: act.type, outputKey: act.outputKey, ok: true, output: `${act.id}-out`, startedAt: 0, finishedAt: 0 } as ActionOutcome;
    });
    expect(s.add(action('a', 'async', [], 'first'))).toBeUndefined();
    expect(s.add(action('b', 'async', [], 'second'))).toBeUndefined();
    expect(s.add({ ...action('c', 'async', ['a', 'b']), input: { both: '$first+$second' } })).toBeUndefined();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['a', 'b']); // both started, c waits
    gates.a.resolve();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['a', 'b']);
    gates.b.resolve();
    const outcomes = await s.settle();
    expect(started).toEqual(['a', 'b', 'c']);
    expect(inputs.c).toEqual({ both: 'a-out+b-out' });
    expect(outcomes.map((o) => o.id)).toEqual(['a', 'b', 'c']);
  });

  it('rejects unknown dependencies and duplicate ids; a failed dependency fails its dependents', async () => {
    const s = new TurnScheduler(new Map(), new Set(), async (act) => ({ id: act.id, type: act.type, ok: act.id !== 'bad', error: act.id === 'bad' ? 'boom' : undefined, startedAt: 0, finishedAt: 0 }));
    expect(s.add(action('x', 'async', ['nope']))).toMatch(/unknown action/);
    expect(s.add(action('bad', 'async'))).toBeUndefined();
    expect(s.add(action('bad', 'async'))).toMatch(/used twice/);
    expect(s.add(action('after', 'async', ['bad']))).toBeUndefined();
    const outcomes = await s.settle();
    expect(outcomes.find((o) => o.id === 'after')).toMatchObject({ ok: false, error: 'dependency failed: bad' });
  });
});
