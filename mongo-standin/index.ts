/**
 * An in-process server that speaks the MongoDB wire protocol, so the official `mongodb`
 * driver runs unchanged where no MongoDB is installed. A development and test stand-in
 * only: no auth, no replication, no transactions, no query planner. Its data is kept in
 * a SQLite file (durable: a write is answered once it is on disk) or nowhere (memory).
 * The caller is expected to announce loudly that it is running. See README.md here.
 */
import net from 'node:net';
import type { Document } from 'bson';
import type { Logger } from '../core/logger';
import type { ServerState } from './context';
import { CursorRegistry } from './cursors';
import { runCommand } from './dispatch';
import { errorReply, toCommandError } from './errors';
import { memoryPersistence, type Persistence, type StandinStorage } from './persistence';
import { openSqlitePersistence } from './sqlite';
import { Store } from './storage';
import { FrameReader, decodeRequest, encodeOpMsg, encodeOpReply } from './wire';

export interface MongoStandin {
  /** A connection string that makes the driver connect directly, without discovery. */
  url: string;
  port: number;
  /** Where its data lives. */
  storage: StandinStorage;
  /** Destroys every connection, stops listening and closes its storage; idempotent. */
  close(): Promise<void>;
}

export interface MongoStandinOptions {
  /** Interface to listen on. Default 127.0.0.1 (loopback only). */
  host?: string;
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Receives protocol-level warnings (a connection dropped for garbage). Default: silent. */
  logger?: Logger;
  /**
   * Where data is kept. Default `{engine: 'memory'}`: nothing survives close. With
   * `{engine: 'sqlite', file}` everything survives a restart on the same file, and only
   * one stand-in at a time may open it (else StorageInUseError).
   */
  storage?: StandinStorage;
}

export { describeStorage, type StandinStorage } from './persistence';
export { StorageInUseError } from './sqlite';

function openPersistence(storage: StandinStorage | undefined): Persistence {
  return storage?.engine === 'sqlite' ? openSqlitePersistence(storage.file) : memoryPersistence();
}

/** Encodes a reply; one that cannot be serialized (e.g. too large) becomes an error reply. */
function encodeReply(kind: 'msg' | 'query', responseId: number, requestId: number, reply: Document): Buffer {
  const encode = kind === 'query' ? encodeOpReply : encodeOpMsg;
  try {
    return encode(responseId, requestId, reply);
  } catch (err) {
    return encode(responseId, requestId, errorReply(toCommandError(err)));
  }
}

export function startMongoStandin(opts: MongoStandinOptions = {}): Promise<MongoStandin> {
  let store: Store;
  try {
    const persistence = openPersistence(opts.storage);
    try {
      store = new Store(persistence);
    } catch (err) {
      persistence.close();
      throw err;
    }
  } catch (err) {
    return Promise.reject(err as Error);
  }
  return listen(store, opts);
}

function listen(store: Store, opts: MongoStandinOptions): Promise<MongoStandin> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.logger;
  const sockets = new Set<net.Socket>();
  const state: ServerState = {
    store,
    cursors: new CursorRegistry(),
    startedAt: new Date(),
    host,
    port: 0,
    connections: { current: 0, totalCreated: 0 },
  };
  let nextConnectionId = 1;
  let nextResponseId = 1;

  const server = net.createServer((socket) => {
    const connectionId = nextConnectionId++;
    sockets.add(socket);
    state.connections.current += 1;
    state.connections.totalCreated += 1;
    socket.setNoDelay(true);
    const reader = new FrameReader();
    socket.on('data', (chunk: Buffer) => {
      // Must not throw: a malformed frame closes this connection only.
      try {
        for (const frame of reader.push(chunk)) {
          const request = decodeRequest(frame);
          const reply = runCommand(request.command, state, connectionId);
          if (request.noReply) continue;
          socket.write(encodeReply(request.kind, nextResponseId++, request.requestId, reply));
        }
      } catch (err) {
        log?.warn({ err, connectionId }, 'mongo stand-in: dropping connection after a bad message');
        socket.destroy();
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      sockets.delete(socket);
      state.connections.current -= 1;
    });
  });

  return new Promise((resolve, reject) => {
    const failed = (err: Error) => {
      store.close();
      reject(err);
    };
    server.once('error', failed);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', failed);
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      state.port = port;
      const hostPart = host.includes(':') ? `[${host}]` : host;
      const url = `mongodb://${hostPart}:${port}/?directConnection=true`;
      store.announce(url);
      let closing: Promise<void> | undefined;
      resolve({
        url,
        port,
        storage: store.storage,
        close() {
          closing ??= new Promise<void>((done, fail) => {
            server.close(() => {
              // Commands run synchronously inside 'data' handlers: with every socket
              // gone, none is half done, and the storage can close.
              try {
                store.close();
                done();
              } catch (err) {
                fail(err as Error);
              }
            });
            for (const socket of sockets) socket.destroy();
            state.cursors.clear();
          });
          return closing;
        },
      });
    });
  });
}
