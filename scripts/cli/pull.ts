import type { Client } from './client';
import { settled } from './commands';
import { exitForStatus } from './errors';
import { followEvents } from './events';
import { Terminal } from './output';
import { drawsBars, progressBar } from './progress';

/**
 * `paddock pull <model> [--server S]`: starts (or joins: the API gives an active
 * pull of the same model to every asker) a model pull and shows its progress
 * events as a bar until it ends. Exits by the pull's state, as `run` does;
 * Ctrl-C stops watching and leaves the pull running.
 */
export async function pull(client: Client, model: string, o: { server?: string }): Promise<number> {
  const term = new Terminal();
  const { body: accepted } = await client.json('POST', '/v1/models/pulls', { name: model, ...(o.server ? { server: o.server } : {}) });
  const id = String(accepted.id);
  const path = `/v1/models/pulls/${encodeURIComponent(id)}`;
  if (accepted.joined) term.note(`${id}: joined the pull of ${model} already under way`);
  const bar = progressBar(`${model} {bar} {percentage}% | {phase} {speed}`);
  if (drawsBars()) bar.start(100, Math.floor(accepted.progress?.percent ?? 0), { phase: accepted.status, speed: '' });
  const stop = onInterrupt(() => {
    bar.stop();
    term.note(`stopped watching ${id}; the pull goes on (paddock pull ${model} shows it again)`);
  });
  let status: string;
  try {
    status = await followEvents(client, `${path}/events`, {
      onEvent: (e) => {
        const d = (e.data ?? {}) as Record<string, any>;
        if (e.event === 'progress') bar.update(Math.floor(d.percent ?? 0), { phase: d.phase ?? '', speed: d.bytesPerSecond ? `${(d.bytesPerSecond / 1e6).toFixed(1)} MB/s` : '' });
        else if (e.event === 'retry' && !drawsBars()) term.note(`retry ${d.retry}: ${d.reason}`);
      },
    });
  } finally {
    stop();
    bar.stop();
  }
  const done = await settled(client, path);
  const size = done.progress?.totalBytes ? `, ${(done.progress.totalBytes / 1e6).toFixed(1)} MB` : '';
  term.note(`${id} ${model} ${status}${status === 'succeeded' ? size : ''}${done.error ? `: ${done.error.code}: ${done.error.message}` : ''}`);
  return exitForStatus(status);
}

function onInterrupt(then: () => void): () => void {
  const handler = () => {
    then();
    process.exit(130);
  };
  process.once('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}
