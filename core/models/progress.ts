import type { PullLine } from '../../llm/ollama/models-api';
import type { PullProgress } from './pull';

const RATE_WINDOW_MS = 5_000;

/**
 * Folds Ollama's per-layer pull lines into one aggregate: completed / total
 * summed over every layer (digest) seen so far, a rate over the last few
 * seconds, an ETA. Everything is monotonic: a layer's completed bytes are the
 * most seen for it (a restarted stream may report less while Ollama resumes),
 * and the percentage never goes down (a newly announced layer grows the total).
 * The percentage stays below 100 until Ollama says "success".
 */
export class PullProgressTracker {
  private readonly layers = new Map<string, { total: number; completed: number }>();
  private samples: { at: number; bytes: number }[] = [];
  private percent = 0;
  private status = 'queued';
  private phase = 'queued';
  private done = false;

  constructor(seed?: PullProgress) {
    // A resumed job starts from what was already shown, so it cannot show less.
    if (seed) this.percent = seed.percent;
  }

  /** Applies a line; returns true when it was progress (more bytes, a new layer, or a new phase). */
  update(line: PullLine, now: number): boolean {
    let moved = false;
    if (line.status) {
      const phase = phaseOf(line);
      if (phase !== this.phase) moved = true;
      this.phase = phase;
      this.status = line.status;
    }
    if (line.digest && typeof line.total === 'number' && line.total > 0) {
      const layer = this.layers.get(line.digest);
      const completed = Math.min(line.completed ?? 0, line.total);
      if (!layer) {
        this.layers.set(line.digest, { total: line.total, completed });
        moved = true;
      } else {
        if (completed > layer.completed) moved = true;
        layer.total = Math.max(layer.total, line.total);
        layer.completed = Math.max(layer.completed, completed);
      }
    }
    if (line.status === 'success') {
      this.done = true;
      moved = true;
    }
    const { completed, total } = this.bytes();
    this.samples.push({ at: now, bytes: completed });
    this.samples = this.samples.filter((s) => now - s.at <= RATE_WINDOW_MS);
    const computed = this.done ? 100 : total > 0 ? Math.min(99.9, Math.floor((completed / total) * 1000) / 10) : 0;
    this.percent = Math.max(this.percent, computed);
    return moved;
  }

  /** True once a layer was announced: the manifest was read, so errors after it are worth a retry. */
  get sawLayers(): boolean {
    return this.layers.size > 0;
  }

  snapshot(now: number): PullProgress {
    const { completed, total } = this.bytes();
    const first = this.samples[0];
    const span = first ? now - first.at : 0;
    const rate = first && span >= 200 ? Math.max(0, Math.round(((completed - first.bytes) * 1000) / span)) : 0;
    const left = Math.max(0, total - completed);
    return {
      percent: this.percent,
      completedBytes: completed,
      totalBytes: total,
      bytesPerSecond: rate,
      etaSeconds: this.done ? 0 : rate > 0 ? Math.ceil(left / rate) : null,
      status: this.status,
      phase: this.phase,
      layers: this.layers.size,
    };
  }

  private bytes(): { completed: number; total: number } {
    let completed = 0;
    let total = 0;
    for (const l of this.layers.values()) {
      completed += l.completed;
      total += l.total;
    }
    return { completed, total };
  }
}

/** Ollama's status text → a phase that does not change from one layer to the next. */
function phaseOf(line: PullLine): string {
  const s = line.status ?? '';
  if (line.digest || /^pulling [0-9a-f]{6,}/.test(s) || /^downloading/.test(s)) return 'downloading';
  if (s === 'pulling manifest') return 'manifest';
  if (s.startsWith('verifying')) return 'verifying';
  if (s.startsWith('writing')) return 'writing';
  if (s === 'success') return 'success';
  return s;
}

/**
 * Decides which snapshots become events: the first, every phase change, the
 * final one, and otherwise only when both `minMs` passed and the percentage
 * moved by `minPercent` since the last one sent.
 */
export class ProgressThrottle {
  private last: { at: number; percent: number; phase: string } | undefined;

  constructor(private readonly minMs: number, private readonly minPercent: number) {}

  take(p: PullProgress, now: number): boolean {
    const last = this.last;
    const due =
      !last ||
      p.phase !== last.phase ||
      p.percent >= 100 ||
      (now - last.at >= this.minMs && p.percent - last.percent >= this.minPercent);
    if (due) this.last = { at: now, percent: p.percent, phase: p.phase };
    return due;
  }
}
