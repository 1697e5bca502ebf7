/**
 * A command whose writes cannot be stored is not acknowledged, and a stand-in whose
 * storage failed stops serving: its memory would be ahead of its disk.
 */
import type { Document } from 'bson';
import { CursorRegistry } from '../../mongo-standin/cursors';
import { runCommand } from '../../mongo-standin/dispatch';
import type { Persistence, Write } from '../../mongo-standin/persistence';
import { Store } from '../../mongo-standin/storage';
import type { ServerState } from '../../mongo-standin/context';

function server(persistence: Persistence): ServerState {
  return { store: new Store(persistence), cursors: new CursorRegistry(), startedAt: new Date(), host: '127.0.0.1', port: 0, connections: { current: 0, totalCreated: 0 } };
}

test('writes are committed once per command, and a failed commit poisons the store', () => {
  const commits: Write[][] = [];
  let failNext = false;
  const state = server({
    storage: { engine: 'memory' },
    load: () => [],
    commit(writes) {
      if (failNext) throw new Error('disk full');
      commits.push([...writes]);
    },
    announce: () => undefined,
    close: () => undefined,
  });
  const run = (cmd: Document) => runCommand({ ...cmd, $db: 'x' }, state, 1);

  // An unordered batch with a duplicate: one commit carrying the collection and the two documents that went in.
  const first = run({ insert: 'c', documents: [{ _id: 1 }, { _id: 1 }, { _id: 2 }], ordered: false });
  expect(first).toMatchObject({ ok: 1, n: 2 });
  expect(commits).toHaveLength(1);
  expect(commits[0]!.map((w) => w.op)).toEqual(['createCollection', 'putDocument', 'putDocument']);
  // Reads commit nothing.
  expect(run({ count: 'c' })).toEqual({ n: 2, ok: 1 });
  expect(commits).toHaveLength(1);

  failNext = true;
  expect(run({ insert: 'c', documents: [{ _id: 3 }] })).toMatchObject({ ok: 0, codeName: 'InternalError', errmsg: expect.stringContaining('disk full') });
  failNext = false;
  // From now on nothing is served, reads included: memory holds _id 3, the disk does not.
  expect(run({ count: 'c' })).toMatchObject({ ok: 0, codeName: 'InternalError', errmsg: expect.stringContaining('restart it') });
  expect(commits).toHaveLength(1);
});
