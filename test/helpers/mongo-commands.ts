import net from 'node:net';
import type { Document } from 'bson';
import { startMongoStandin, type MongoStandin } from '../../mongo-standin';
import { decodeRequest, FrameReader } from '../../mongo-standin/wire';

export interface MongoCommand {
  name: string;
  /** The collection it names (`find: "sessions"` → "sessions"), when it names one. */
  collection?: string;
  command: Document;
}

/**
 * A TCP relay in front of MongoDB (MONGO_URL, else a fresh stand-in) that notes
 * every command the driver sends through it: for tests that check what a
 * request asks of the store, not only what it answers.
 */
export interface MongoCommandLog {
  /** Connect here (direct connection). */
  url: string;
  commands: MongoCommand[];
  close(): Promise<void>;
}

export async function startMongoCommandLog(): Promise<MongoCommandLog> {
  const standin: MongoStandin | undefined = process.env.MONGO_URL ? undefined : await startMongoStandin();
  const target = new URL((process.env.MONGO_URL ?? standin!.url).replace(/^mongodb:/, 'http:'));
  const commands: MongoCommand[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 27017), target.hostname);
    const frames = new FrameReader();
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('data', (chunk: Buffer) => {
      for (const frame of frames.push(chunk)) {
        const { command } = decodeRequest(frame);
        const name = Object.keys(command)[0] ?? '';
        commands.push({ name, collection: typeof command[name] === 'string' ? command[name] : undefined, command });
      }
    });
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `mongodb://127.0.0.1:${port}/?directConnection=true`,
    commands,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await standin?.close();
    },
  };
}
