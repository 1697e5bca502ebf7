/** Pure pieces of the sandbox: demuxing, the output cap, the agent protocol, verdicts. */
import { ValidationError } from '../../core/errors';
import { preciseDurationMs } from '../../sandbox/docker';
import { Demuxer, OutputCollector, type StreamName } from '../../sandbox/output';
import { OutputFiles } from '../../sandbox/output-files';
import { AgentFrameParser, encodeRunFrame, normaliseFilePath, planFiles, PROTOCOL_VERSION, ProtocolError, type AgentFrame } from '../../sandbox/protocol';
import { accountingOf, classify, signalFromExitCode } from '../../sandbox/runner';

function frame(type: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = type;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

describe('Demuxer', () => {
  const stream = Buffer.concat([
    frame(1, Buffer.from('hello ')),
    frame(2, Buffer.from('oops')),
    frame(1, Buffer.alloc(0)),
    frame(1, Buffer.from('wörld')),
  ]);

  test.each([1, 2, 3, 7, 8, 9, 1000])('reassembles frames split into %i-byte chunks', (size) => {
    const got: Record<StreamName, Buffer[]> = { stdout: [], stderr: [] };
    const d = new Demuxer((s, p) => got[s].push(Buffer.from(p)));
    for (let i = 0; i < stream.length; i += size) d.push(stream.subarray(i, i + size));
    expect(Buffer.concat(got.stdout).toString()).toBe('hello wörld');
    expect(Buffer.concat(got.stderr).toString()).toBe('oops');
  });
});

describe('OutputCollector', () => {
  test('decodes characters split across chunks', () => {
    const c = new OutputCollector(100, () => {}, () => {});
    const euro = Buffer.from('€€');
    for (const b of euro) c.write('stdout', Buffer.from([b]));
    expect(c.finish()).toMatchObject({ stdout: '€€', truncated: false, keptBytes: 6 });
  });

  test('keeps exactly the cap across both streams, discards the rest, signals once', () => {
    let limits = 0;
    const chunks: string[] = [];
    const c = new OutputCollector(10, (_s, t) => chunks.push(t), () => limits++);
    c.write('stdout', Buffer.from('123456'));
    c.write('stderr', Buffer.from('abcdef'));
    c.write('stdout', Buffer.from('more'));
    const out = c.finish();
    expect(out).toMatchObject({ stdout: '123456', stderr: 'abcd', truncated: true, keptBytes: 10 });
    expect(chunks.join('')).toBe('123456abcd');
    expect(limits).toBe(1);
  });

  test('a multi-byte character cut by the cap is dropped, never half-kept', () => {
    const c = new OutputCollector(4, () => {}, () => {});
    c.write('stdout', Buffer.from('ab€'));
    const out = c.finish();
    expect(out.stdout).toBe('ab');
    expect(Buffer.byteLength(out.stdout)).toBeLessThanOrEqual(4);
  });
});

describe('agent protocol and paths', () => {
  test('run frame = u32 length + binary header + stdin (its length in the header)', () => {
    const buf = encodeRunFrame({
      files: [{ path: 'main.py', content: 'print("€")' }],
      argv: ['/usr/bin/python3', 'main.py'],
      stdin: 'in €',
      timeoutMs: 500,
      graceMs: 2000,
      keep: true,
    });
    const n = buf.readUInt32BE(0);
    const h = buf.subarray(4, 4 + n);
    let at = 0;
    const int = (bytes: number) => ((at += bytes), h.readUIntBE(at - bytes, bytes));
    const str = () => {
      const len = int(4);
      return h.subarray(at, (at += len)).toString('utf8');
    };
    expect([int(1), int(4), int(4), int(1), int(4)]).toEqual([PROTOCOL_VERSION, 500, 2000, 1, 6]);
    expect(Array.from({ length: int(2) }, str)).toEqual(['/usr/bin/python3', 'main.py']);
    expect(Array.from({ length: int(4) }, () => [str(), str()])).toEqual([['main.py', 'print("€")']]);
    // No outputs: zero globs, zero caps, mode 0.
    expect([int(2), int(4), int(4), int(4), int(1)]).toEqual([0, 0, 0, 0, 0]);
    expect(at).toBe(n);
    expect(buf.subarray(4 + n).toString()).toBe('in €');
  });

  test('run frame v4 tail: a session (keep 2) with outputs (globs, caps, mode)', () => {
    const buf = encodeRunFrame({
      files: [{ path: 'bin', content: Buffer.from([0, 255]) }],
      argv: ['/bin/true'],
      timeoutMs: 1,
      graceMs: 0,
      keep: false,
      session: true,
      outputs: { globs: ['*.png', 'out/**'], maxFiles: 3, maxFileBytes: 10, maxTotalBytes: 20, mode: 'list' },
    });
    const h = buf.subarray(4, 4 + buf.readUInt32BE(0));
    expect(h[9]).toBe(2); // keep, after version, timeout and grace
    const tail = h.subarray(h.length - (2 + 4 + 5 + 4 + 6 + 12 + 1));
    expect(tail.readUInt16BE(0)).toBe(2);
    expect(tail.subarray(6, 11).toString()).toBe('*.png');
    expect(tail.subarray(15, 21).toString()).toBe('out/**');
    expect([tail.readUInt32BE(21), tail.readUInt32BE(25), tail.readUInt32BE(29), tail[33]]).toEqual([3, 10, 20, 1]);
    expect(h.includes(Buffer.from([0, 0, 0, 2, 0, 255]))).toBe(true); // binary content as is
  });

  test('file frames: parsed, reassembled per path, and the caps checked again on the worker', () => {
    const frames: AgentFrame[] = [];
    const parser = new AgentFrameParser((f) => frames.push(f));
    const p = (path: string, size: number, data: string) => {
      const name = Buffer.from(path);
      const head = Buffer.alloc(2 + name.length + 4);
      head.writeUInt16BE(name.length, 0);
      name.copy(head, 2);
      head.writeUInt32BE(size, 2 + name.length);
      return Buffer.concat([head, Buffer.from(data)]);
    };
    parser.push(Buffer.concat([agentFrame('P', p('a/x.txt', 5, '')), agentFrame('P', p('a/x.txt', 5, 'he')), agentFrame('P', p('a/x.txt', 5, 'llo')), agentFrame('P', p('e', 0, ''))]));
    const files = new OutputFiles({ globs: ['**'], maxFiles: 2, maxFileBytes: 5, maxTotalBytes: 5 });
    for (const f of frames) if (f.type === 'file') files.add(f.path, f.size, f.data);
    expect(files.finish()).toEqual([
      { path: 'a/x.txt', size: 5, content: Buffer.from('hello') },
      { path: 'e', size: 0, content: Buffer.alloc(0) },
    ]);
    const over = new OutputFiles({ globs: ['**'], maxFiles: 1, maxFileBytes: 5, maxTotalBytes: 5 });
    over.add('a', 6, Buffer.alloc(0));
    over.add('a', 6, Buffer.alloc(6));
    expect(() => over.finish()).toThrow(/caps/);
    expect(() => parser.push(agentFrame('P', Buffer.from([0, 9, 1])))).toThrow(ProtocolError);
  });

  const agentFrame = (type: string, payload: string | Buffer) => {
    const body = Buffer.from(payload);
    const head = Buffer.alloc(5);
    head.write(type, 0, 'latin1');
    head.writeUInt32BE(body.length, 1);
    return Buffer.concat([head, body]);
  };
  const exit = { exitCode: 0, signal: null, wallNs: 1, cpuNs: 2, oomKills: 0, memPeak: 3, memPeakRose: true, backstop: false };
  const agentStream = Buffer.concat([
    agentFrame('R', `{"v":${PROTOCOL_VERSION},"pid":1}`),
    agentFrame('S', '{"pid":7}'),
    agentFrame('O', 'hello '),
    agentFrame('E', Buffer.alloc(0)),
    agentFrame('O', 'wörld'),
    agentFrame('X', JSON.stringify(exit)),
  ]);

  test.each([1, 2, 4, 5, 6, 1000])('agent frames split into %i-byte chunks parse whole and in order', (size) => {
    const frames: AgentFrame[] = [];
    const p = new AgentFrameParser((f) => frames.push(f));
    for (let i = 0; i < agentStream.length; i += size) p.push(agentStream.subarray(i, i + size));
    expect(frames.map((f) => f.type)).toEqual(['ready', 'started', 'stdout', 'stderr', 'stdout', 'exit']);
    const out = frames.flatMap((f) => (f.type === 'stdout' ? [f.data] : []));
    expect(Buffer.concat(out).toString()).toBe('hello wörld');
    expect(frames[0]).toEqual({ type: 'ready', pid: 1, version: PROTOCOL_VERSION });
    expect(frames.at(-1)).toEqual({ type: 'exit', exit });
  });

  test.each([
    ['an unknown type', agentFrame('Z', '{}')],
    ['a JSON frame that is not an object', agentFrame('X', '42')],
    ['an oversized frame', Buffer.from([0x4f, 0xff, 0xff, 0xff, 0xff])],
  ])('%s is a protocol error', (_name, bytes) => {
    const p = new AgentFrameParser(() => {});
    expect(() => p.push(bytes)).toThrow(ProtocolError);
  });

  test.each([
    ['a.py', 'a.py'],
    ['./x//y.txt', 'x/y.txt'],
    ['deep/er/file', 'deep/er/file'],
  ])('%p normalises to %p', (input, out) => expect(normaliseFilePath(input)).toBe(out));

  test.each(['/abs', '..', 'a/../..', 'x/..', '.', '', 'a\\b', 'nul\0'])('%j is rejected', (p) => {
    expect(() => normaliseFilePath(p)).toThrow(ValidationError);
  });

  test('duplicates and file/directory overlaps are rejected; main goes first', () => {
    expect(planFiles('bash', 'echo', [{ path: 'a/b', content: '' }]).map((f) => f.path)).toEqual(['main.sh', 'a/b']);
    expect(() => planFiles('bash', '', [{ path: 'main.sh', content: '' }])).toThrow(ValidationError);
    expect(() => planFiles('bash', '', [{ path: 'a', content: '' }, { path: './a', content: '' }])).toThrow(ValidationError);
    expect(() => planFiles('bash', '', [{ path: 'a', content: '' }, { path: 'a/b', content: '' }])).toThrow(ValidationError);
    expect(() => planFiles('bash', '', [{ path: 'a/b', content: '' }, { path: 'a', content: '' }])).toThrow(ValidationError);
  });
});

describe('verdicts', () => {
  test.each([
    [null, false, 0, false, 'ok'],
    [null, false, 1, false, 'runtime_error'],
    [null, true, 137, false, 'memory_exceeded'],
    [null, true, 0, false, 'ok'], // an OOM kill of a helper process; the program still succeeded
    [null, false, 137, false, 'runtime_error'], // SIGKILL from inside, before the budget
    [null, false, 137, true, 'timeout'], // the agent's backstop fired (the worker did not)
    ['timeout', false, 137, false, 'timeout'],
    ['output_limit', false, 137, false, 'output_limit'],
    ['killed', true, 137, false, 'killed'], // our reason was first
  ] as const)('stop=%p oom=%p exit=%p backstop=%p → %p', (stop, oom, code, backstop, verdict) => {
    expect(classify(stop, oom, code, backstop)).toBe(verdict);
  });

  test('signals from exit codes', () => {
    expect(signalFromExitCode(137)).toBe('SIGKILL');
    expect(signalFromExitCode(153)).toBe('SIGXFSZ');
    expect(signalFromExitCode(0)).toBeNull();
    expect(signalFromExitCode(3)).toBeNull();
    expect(signalFromExitCode(null)).toBeNull();
  });

  test('Docker timestamps keep sub-millisecond precision', () => {
    expect(preciseDurationMs('2025-01-01T00:00:00.100000000Z', '2025-01-01T00:00:01.250500000Z')).toBeCloseTo(1150.5, 6);
    expect(preciseDurationMs('0001-01-01T00:00:00Z', '2025-01-01T00:00:01Z')).toBeNull();
  });
});

describe('memory accounting', () => {
  test('readable cgroup figures: no accounting note', () => {
    expect(accountingOf({ memPeak: 1 << 20, oomKills: 0 })).toEqual({});
  });

  test('an unreadable peak or OOM counter (gVisor) is said, never guessed', () => {
    for (const exit of [
      { memPeak: null, oomKills: null },
      { memPeak: null, oomKills: 0 },
      { memPeak: 1 << 20, oomKills: null },
    ]) {
      expect(accountingOf(exit).accounting).toMatchObject({ memory: 'unavailable', reason: expect.stringMatching(/cgroup/) });
    }
  });
});
