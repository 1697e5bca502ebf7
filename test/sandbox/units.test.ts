/** Pure pieces of the sandbox: demuxing, the output cap, the boot frame, verdicts. */
import { ValidationError } from '../../core/errors';
import { preciseDurationMs } from '../../sandbox/docker';
import { Demuxer, OutputCollector, type StreamName } from '../../sandbox/output';
import { encodeBootFrame, normaliseFilePath, planFiles } from '../../sandbox/protocol';
import { classify, signalFromExitCode } from '../../sandbox/runner';

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

describe('boot frame and paths', () => {
  test('frame = u32 length + JSON header + stdin', () => {
    const buf = encodeBootFrame([{ path: 'main.py', content: 'print(1)' }], ['/usr/bin/python3', 'main.py'], 'in');
    const n = buf.readUInt32BE(0);
    expect(JSON.parse(buf.subarray(4, 4 + n).toString())).toEqual({
      v: 1,
      files: [{ path: 'main.py', content: 'print(1)' }],
      argv: ['/usr/bin/python3', 'main.py'],
    });
    expect(buf.subarray(4 + n).toString()).toBe('in');
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
    [null, false, 0, 'ok'],
    [null, false, 1, 'runtime_error'],
    [null, true, 137, 'memory_exceeded'],
    [null, false, 137, 'runtime_error'], // SIGKILL from inside, before the budget
    ['timeout', false, 137, 'timeout'],
    ['output_limit', false, 137, 'output_limit'],
    ['killed', true, 137, 'killed'], // our reason was first
  ] as const)('stop=%p oom=%p exit=%p → %p', (stop, oom, code, verdict) => {
    expect(classify(stop, oom, code, 100, 1000)).toBe(verdict);
  });

  test('SIGKILL at or past the budget without our kill is the in-container backstop: timeout', () => {
    expect(classify(null, false, 137, 3000, 1000)).toBe('timeout');
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
