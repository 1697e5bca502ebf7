import { ProgressThrottle, PullProgressTracker } from '../../core/models/progress';
import { normalizeModelName } from '../../core/models/pull';

const layer = (digest: string, total: number, completed: number) => ({ status: `pulling ${digest}`, digest: `sha256:${digest}`, total, completed });

describe('PullProgressTracker', () => {
  it('sums bytes over every layer seen and reports one percentage, rate and ETA', () => {
    const p = new PullProgressTracker();
    p.update({ status: 'pulling manifest' }, 0);
    p.update(layer('aaa', 800, 0), 0);
    p.update(layer('bbb', 200, 0), 0);
    p.update(layer('aaa', 800, 400), 1000);
    const s = p.snapshot(1000);
    expect(s).toMatchObject({ percent: 40, completedBytes: 400, totalBytes: 1000, layers: 2, phase: 'downloading', bytesPerSecond: 400, etaSeconds: 2 });
  });

  it('never goes down: a restarted layer keeps its best count, a new layer does not lower the percentage', () => {
    const p = new PullProgressTracker();
    p.update(layer('aaa', 100, 90), 0);
    expect(p.snapshot(0).percent).toBe(90);
    p.update(layer('aaa', 100, 0), 10); // a retry restarts the layer
    expect(p.snapshot(10).percent).toBe(90);
    p.update(layer('bbb', 900, 0), 20); // announced late: the aggregate would drop to 9 %
    expect(p.snapshot(20).percent).toBe(90);
    expect(p.snapshot(20).completedBytes).toBe(90);
  });

  it('stays below 100 until "success", and reports progress only when something moved', () => {
    const p = new PullProgressTracker();
    expect(p.update(layer('aaa', 100, 100), 0)).toBe(true);
    expect(p.snapshot(0).percent).toBe(99.9);
    expect(p.update(layer('aaa', 100, 100), 1)).toBe(false); // same bytes, same phase: not progress (stall clock keeps running)
    expect(p.update({ status: 'verifying sha256 digest' }, 2)).toBe(true);
    p.update({ status: 'success' }, 3);
    expect(p.snapshot(3)).toMatchObject({ percent: 100, phase: 'success', etaSeconds: 0 });
  });

  it('starts from a resumed job\'s last percentage', () => {
    const p = new PullProgressTracker({ percent: 55, completedBytes: 0, totalBytes: 0, bytesPerSecond: 0, etaSeconds: null, status: 'x', phase: 'downloading', layers: 1 });
    p.update(layer('aaa', 100, 10), 0);
    expect(p.snapshot(0).percent).toBe(55);
  });
});

describe('ProgressThrottle', () => {
  const snap = (percent: number, phase = 'downloading') => ({ percent, phase, completedBytes: 0, totalBytes: 0, bytesPerSecond: 0, etaSeconds: null, status: '', layers: 1 });

  it('lets through the first, phase changes and 100 %; otherwise needs both the time and the percent step', () => {
    const t = new ProgressThrottle(500, 1);
    expect(t.take(snap(0, 'manifest'), 0)).toBe(true);
    expect(t.take(snap(0.5), 10)).toBe(true); // phase change
    expect(t.take(snap(5), 100)).toBe(false); // +4.5 points, but only 90 ms later
    expect(t.take(snap(1.2), 600)).toBe(false); // 590 ms later, but only +0.7 points
    expect(t.take(snap(1.5), 700)).toBe(true); // both: ≥ 500 ms and ≥ 1 point
    expect(t.take(snap(1.6), 2000)).toBe(false);
    expect(t.take(snap(100, 'success'), 2001)).toBe(true);
  });
});

describe('normalizeModelName', () => {
  it.each([
    ['llama3', 'llama3:latest'],
    ['llama3:8b', 'llama3:8b'],
    ['hf.co/org/repo', 'hf.co/org/repo:latest'],
    ['registry:5000/org/model', 'registry:5000/org/model:latest'],
  ])('%s → %s', (name, normalized) => expect(normalizeModelName(name)).toBe(normalized));
});
