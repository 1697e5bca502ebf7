/**
 * What durability costs: write latency through the real driver, memory vs sqlite, side by
 * side in one invocation; and how long a sqlite stand-in takes to start on a larger file.
 * A script, not a test (numbers depend on the disk).
 *
 *   node --import tsx mongo-standin/bench.ts [writes=1000] [loadDocs=100000]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { startMongoStandin, type StandinStorage } from '.';

const WARMUP = 100;

interface Latencies {
  p50: number;
  p99: number;
  mean: number;
  perSecond: number;
}

function summarize(ms: number[]): Latencies {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const total = ms.reduce((s, x) => s + x, 0);
  return { p50: at(0.5), p99: at(0.99), mean: total / ms.length, perSecond: (ms.length / total) * 1000 };
}

/**
 * `writes` acknowledged insertOne calls to each storage, shaped like run events,
 * interleaved one for one (memory, sqlite, memory, ...) so both see the same moments of
 * a shared machine; each call is awaited before the next, so every number is one write
 * from request to acknowledgement.
 */
async function insertLatencies(file: string, writes: number): Promise<{ memory: Latencies; sqlite: Latencies }> {
  const targets = await Promise.all(
    ([{ engine: 'memory' }, { engine: 'sqlite', file }] as StandinStorage[]).map(async (storage) => {
      const standin = await startMongoStandin({ storage });
      const client = new MongoClient(standin.url);
      await client.connect();
      const events = client.db('bench').collection('run_events');
      await events.createIndex({ runId: 1, seq: 1 }, { unique: true });
      const one = (seq: number) => events.insertOne({ runId: 'bench', seq, type: 'stdout', data: { chunk: 'x'.repeat(80) }, at: new Date() });
      return { one, ms: [] as number[], close: async () => (await client.close(), await standin.close()) };
    }),
  );
  try {
    for (let i = 0; i < WARMUP; i++) for (const t of targets) await t.one(-1 - i);
    for (let seq = 1; seq <= writes; seq++) {
      for (const t of targets) {
        const t0 = performance.now();
        await t.one(seq);
        t.ms.push(performance.now() - t0);
      }
    }
    return { memory: summarize(targets[0]!.ms), sqlite: summarize(targets[1]!.ms) };
  } finally {
    for (const t of targets) await t.close();
  }
}

/** Writes `docs` documents (batches of 1000), then times a fresh start on the same file. */
async function loadTime(file: string, docs: number): Promise<{ bytes: number; startMs: number }> {
  const first = await startMongoStandin({ storage: { engine: 'sqlite', file } });
  const client = new MongoClient(first.url);
  await client.connect();
  const events = client.db('bench').collection('run_events');
  await events.createIndex({ runId: 1, seq: 1 }, { unique: true });
  for (let i = 0; i < docs; i += 1000) {
    const batch = Array.from({ length: Math.min(1000, docs - i) }, (_, j) => ({ runId: `r${Math.floor((i + j) / 100)}`, seq: (i + j) % 100, type: 'stdout', data: { chunk: 'x'.repeat(80) } }));
    await events.insertMany(batch);
  }
  await client.close();
  await first.close();
  const bytes = fs.statSync(file).size;
  const t0 = performance.now();
  const second = await startMongoStandin({ storage: { engine: 'sqlite', file } });
  const startMs = performance.now() - t0;
  await second.close();
  return { bytes, startMs };
}

async function main(): Promise<void> {
  const writes = Number(process.argv[2] ?? 1000);
  const loadDocs = Number(process.argv[3] ?? 100_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paddock-standin-bench-'));
  try {
    const fmt = (l: Latencies) => `p50 ${l.p50.toFixed(3)} ms  p99 ${l.p99.toFixed(3)} ms  mean ${l.mean.toFixed(3)} ms  (${Math.round(l.perSecond)} writes/s)`;
    const { memory, sqlite } = await insertLatencies(path.join(dir, 'latency.sqlite'), writes);
    process.stdout.write(`node ${process.version}, sqlite ${process.versions.sqlite}, ${os.cpus().length} cpus, load ${os.loadavg()[0]!.toFixed(1)}; ${writes} insertOne per storage, interleaved, after ${WARMUP} warm-up, in ${dir}\n`);
    process.stdout.write(`  memory  ${fmt(memory)}\n`);
    process.stdout.write(`  sqlite  ${fmt(sqlite)}\n`);
    process.stdout.write(`  sqlite / memory: p50 ×${(sqlite.p50 / memory.p50).toFixed(1)}, p99 ×${(sqlite.p99 / memory.p99).toFixed(1)}\n`);
    if (loadDocs > 0) {
      const load = await loadTime(path.join(dir, 'load.sqlite'), loadDocs);
      process.stdout.write(`  start-up on ${loadDocs} stored documents (${(load.bytes / 1024 / 1024).toFixed(1)} MiB file): ${Math.round(load.startMs)} ms\n`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
