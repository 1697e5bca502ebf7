/**
 * Event-stream tails keep their Redis connection for the next stream
 * (api/tail-connections.ts): sequential live streams share one connection,
 * parallel ones get one each, and a client leaving mid-stream frees its
 * connection (the blocking read is broken off) without leaving one behind.
 */
import { Redis } from 'ioredis';
import { TAIL_CONNECTION_NAME } from '../../api/tail-connections';
import { readSse } from '../helpers/sse';
import { waitUntil } from '../helpers/split-system';
import { isDone, startTestSystem, type TestSystem } from '../helpers/system';

let t: TestSystem;
let probe: Redis;

beforeAll(async () => {
  t = await startTestSystem();
  probe = new Redis(t.system.redisUrl);
});
afterAll(async () => {
  probe?.disconnect();
  await t?.close();
});

/** Connections Redis has open under the tails' name. */
async function tailConnections(): Promise<number> {
  const list = (await probe.client('LIST')) as string;
  return list.split('\n').filter((line) => line.includes(` name=${TAIL_CONNECTION_NAME} `)).length;
}

/** Starts a run that is still going when its stream opens (so the stream tails it live), and streams it to `end`. */
async function streamLiveRun(code = 'sleep 0.3; echo done'): Promise<string[]> {
  const created = await t.call('POST', '/v1/runs', { body: { language: 'bash', code } });
  expect(created.status).toBe(202);
  const { events } = await readSse(`${t.url}/v1/runs/${created.body.id}/events`, { headers: { authorization: `Bearer ${await t.token('alice')}` } });
  return events.map((e) => e.event);
}

describe('event-stream tail connections', () => {
  it('sequential live streams share one connection; parallel streams get one each and keep them', async () => {
    for (let i = 0; i < 5; i++) expect((await streamLiveRun()).at(-1)).toBe('end');
    expect(await tailConnections()).toBe(1);

    const parallel = await Promise.all([streamLiveRun(), streamLiveRun(), streamLiveRun()]);
    for (const types of parallel) expect(types.at(-1)).toBe('end');
    expect(await tailConnections()).toBe(3);
  });

  it('a client leaving mid-stream frees its connection, and the next stream still tails live', async () => {
    const before = await tailConnections();
    const created = await t.call('POST', '/v1/runs', { body: { language: 'bash', code: 'echo started; sleep 30' } });
    const abort = new AbortController();
    const headers = { authorization: `Bearer ${await t.token('alice')}` };
    await readSse(`${t.url}/v1/runs/${created.body.id}/events`, { headers, signal: abort.signal, until: (e) => e.event === 'stdout' });
    abort.abort();
    // The stream took an idle connection and was blocked in XREAD on it: that connection is closed, not kept.
    await waitUntil('the left stream closes its connection', async () => ((await tailConnections()) === before - 1 ? true : undefined), 5000);

    expect((await streamLiveRun()).at(-1)).toBe('end');
    const cancel = await t.call('DELETE', `/v1/runs/${created.body.id}`);
    expect(cancel.status).toBeLessThan(300);
    expect((await t.waitFor(created.body.id, isDone)).status).toBe('cancelled');
  });
});
