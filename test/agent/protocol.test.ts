import { ProtocolParser, type ProtocolElement } from '../../workers/agent/parser';
import { TurnScheduler, type ActionOutcome, type PastAction } from '../../workers/agent/scheduler';
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
      'action b: unknown type "magic" (tool, llm or internal)',
      'an action needs an id of letters, digits, _ or -',
      '<response> was never closed',
    ]);
  });
});

describe('ProtocolParser, as real models write', () => {
  const kinds = (out: ProtocolElement[]) => out.map((e) => (e.kind === 'malformed' ? `malformed: ${e.reason}` : e.kind));

  it('reads final=true without quotes, final alone, and True/yes as final; an unknown value is malformed', () => {
    const out = parseAll([
      '<response final=true>a</response><response final>b</response><response final="True">c</response>',
      "<response final='yes'>d</response><response final=false>e</response><response>f</response><response final=\"maybe\">g</response>",
    ]);
    expect(out.slice(0, 6).map((e) => (e.kind === 'response' ? [e.final, e.text] : e.kind))).toEqual([
      [true, 'a'], [true, 'b'], [true, 'c'], [true, 'd'], [false, 'e'], [false, 'f'],
    ]);
    expect(kinds(out.slice(6))).toEqual(['malformed: <response final="maybe">: final must be "true" or "false"']);
  });

  it('reads unquoted attributes, tags in any case and a fenced action body', () => {
    const out = parseAll(['<Action type=tool mode=ASYNC id=run1 output_key=r>\n```json\n{"tool": "run_code", "language": "python", "code": "print(1)"}\n```\n</Action>']);
    expect(out).toEqual([
      { kind: 'action', action: { id: 'run1', type: 'tool', mode: 'async', dependsOn: [], outputKey: 'r', input: { tool: 'run_code', language: 'python', code: 'print(1)' } } },
    ]);
  });

  it('reads action bodies with literal newlines and CRLF inside JSON strings (small local models)', () => {
    const body = '{"tool": "run_code", "language": "python", "code": "def f(x):\r\n    return x * 2\r\nprint(f(21))"}';
    const out = parseAll([`<action id="a">${body}</action>`]);
    expect(out[0]).toMatchObject({ kind: 'action', action: { input: { code: 'def f(x):\r\n    return x * 2\r\nprint(f(21))' } } });
  });

  it('ends a <thought> that is never closed where the next element starts', () => {
    const out = parseAll(['<thought>I will compute it\n<action id="a" type="internal">{"n": 1}</action>\n<response final="false">wait</response>']);
    expect(kinds(out)).toEqual(['thought', 'action', 'response']);
    expect(out[0]).toEqual({ kind: 'thought', text: 'I will compute it' });
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

  it('interpolates a string output without its trailing newlines, like the shell\'s $(…)', () => {
    const out = new Map<string, unknown>([['x', { stdout: '42\n', lines: 'a\nb\r\n\n' }]]);
    expect(substitute({ code: 'print("got $x.stdout")', v: 'lines: $x.lines!', exact: '$x.stdout' }, out)).toEqual({
      code: 'print("got 42")',
      v: 'lines: a\nb!',
      exact: '42\n', // a string that is only the reference is the value, unchanged
    });
  });

  it('follows a path while there are fields, and leaves unknown names and missing fields as written', () => {
    const out = new Map<string, unknown>([['x', { stdout: 'hi\n' }]]);
    expect(substitute({ a: 'print("$x.stdout".upper())', b: 's = "$x.stdout.strip()"', c: 'echo $HOME $x.nope' }, out)).toEqual({
      a: 'print("hi".upper())',
      b: 's = "hi.strip()"',
      c: 'echo $HOME $x.nope',
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
    const s = new TurnScheduler(1, outputs, new Map(), async (act, input) => {
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

  it('rejects unknown dependencies and an id reused for another action; a failed dependency fails its dependents', async () => {
    const s = new TurnScheduler(1, new Map(), new Map(), async (act) => ({ id: act.id, type: act.type, ok: act.id !== 'bad', error: act.id === 'bad' ? 'boom' : undefined, startedAt: 0, finishedAt: 0 }));
    expect(s.add(action('x', 'async', ['nope']))).toMatch(/unknown action/);
    expect(s.add(action('bad', 'async'))).toBeUndefined();
    expect(s.add({ ...action('bad', 'async'), input: { v: 'other' } })).toMatch(/used twice in this output for different actions/);
    expect(s.add(action('after', 'async', ['bad']))).toBeUndefined();
    const outcomes = await s.settle();
    expect(outcomes.find((o) => o.id === 'after')).toMatchObject({ ok: false, error: 'dependency failed: bad' });
  });
});

describe('TurnScheduler: re-sent actions', () => {
  const run = (id: string, input: unknown, extra: Partial<ActionOutcome> = {}): ActionOutcome => ({ id, type: 'internal', ok: true, output: input, startedAt: 0, finishedAt: 0, ...extra });
  const act = (id: string, input: unknown, dependsOn: string[] = []) => ({ id, type: 'internal' as const, mode: 'async' as const, dependsOn, input });

  it('reuses an action re-sent unchanged, refuses the same id with another input, and reruns a failed one', async () => {
    const history = new Map<string, PastAction>([
      ['a', { step: 1, action: act('a', { v: 1 }), outcome: run('a', { v: 1 }) }],
      ['f', { step: 1, action: act('f', { v: 2 }), outcome: run('f', undefined, { ok: false, error: 'boom' }) }],
    ]);
    const performed: string[] = [];
    const s = new TurnScheduler(2, new Map([['a', { v: 1 }]]), history, async (a, input) => {
      performed.push(a.id);
      return run(a.id, input);
    });
    expect(s.add(act('a', { v: 1 }))).toBeUndefined();
    expect(s.add(act('a', { v: 1 }))).toBeUndefined(); // repeated within the turn: ignored
    expect(s.add(act('b', { v: 9 }))).toBeUndefined();
    expect(s.add(act('f', { v: 3 }))).toBeUndefined();
    const changed = new TurnScheduler(2, new Map(), history, async (a) => run(a.id, {}));
    expect(changed.add(act('a', { v: 'changed' }))).toMatch(/already ran \(step 1\) with a different type, input or output_key; give the new action a new id/);
    const outcomes = await s.settle();
    expect(performed).toEqual(['b', 'f']);
    expect(outcomes.map((o) => [o.id, o.ok, o.reusedFrom])).toEqual([['a', true, 1], ['b', true, undefined], ['f', true, undefined]]);
    expect(history.get('f')).toMatchObject({ step: 2, outcome: { ok: true } });
    expect(history.get('a')).toMatchObject({ step: 1 });
  });

  it('fails an action whose dependency failed in an earlier turn', async () => {
    const history = new Map<string, PastAction>([['f', { step: 1, action: act('f', {}), outcome: run('f', undefined, { ok: false, error: 'boom' }) }]]);
    const s = new TurnScheduler(2, new Map(), history, async (a) => run(a.id, {}));
    expect(s.add(act('g', {}, ['f']))).toBeUndefined();
    expect(await s.settle()).toEqual([expect.objectContaining({ id: 'g', ok: false, error: 'dependency failed: f' })]);
  });
});
