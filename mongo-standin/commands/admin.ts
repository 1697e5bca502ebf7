/**
 * Handshake and administrative commands. The hello reply describes a standalone server
 * (no setName, no topologyVersion): the driver then uses plain polling monitoring, no
 * retryable writes and no transactions, which is all the stand-in implements.
 */
import os from 'node:os';
import type { Document } from 'bson';
import type { CommandContext, Handler } from '../context';

export const STANDIN_VERSION = '7.0.0-standin';
const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;

function hello(isLegacy: boolean): Handler {
  return (_cmd, ctx) => ({
    // helloOk tells drivers that sent the legacy isMaster they may switch to hello.
    helloOk: true,
    ...(isLegacy ? { ismaster: true } : { isWritablePrimary: true }),
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    maxMessageSizeBytes: 48_000_000,
    maxWriteBatchSize: 100_000,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId: ctx.connectionId,
    minWireVersion: 0,
    maxWireVersion: 21,
    readOnly: false,
  });
}

function buildInfo(_cmd: Document, ctx: CommandContext): Document {
  return {
    version: STANDIN_VERSION,
    gitVersion: 'standin',
    versionArray: [7, 0, 0, 0],
    bits: 64,
    debug: false,
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    storageEngines: [ctx.server.store.storage.engine],
    javascriptEngine: 'none',
    modules: [],
  };
}

function hostInfo(): Document {
  return {
    system: {
      currentTime: new Date(),
      hostname: os.hostname(),
      cpuAddrSize: 64,
      memSizeMB: Math.round(os.totalmem() / 1024 / 1024),
      numCores: os.cpus().length,
      cpuArch: os.arch(),
    },
    os: { type: os.type(), name: os.platform(), version: os.release() },
    extra: {},
  };
}

function getParameter(cmd: Document): Document {
  const out: Document = {};
  if (cmd.featureCompatibilityVersion !== undefined || cmd.getParameter === '*') {
    out.featureCompatibilityVersion = { version: '7.0' };
  }
  return out;
}

function serverStatus(_cmd: Document, ctx: CommandContext): Document {
  const { server } = ctx;
  return {
    host: `${server.host}:${server.port}`,
    version: STANDIN_VERSION,
    process: 'mongod-standin',
    pid: process.pid,
    uptime: Math.floor((Date.now() - server.startedAt.getTime()) / 1000),
    localTime: new Date(),
    connections: { current: server.connections.current, totalCreated: server.connections.totalCreated, available: 1000 },
    storageEngine: { name: server.store.storage.engine, persistent: server.store.storage.engine === 'sqlite' },
  };
}

const acknowledge: Handler = () => ({});

export const adminCommands: Record<string, Handler> = {
  hello: hello(false),
  isMaster: hello(true),
  ismaster: hello(true),
  ping: acknowledge,
  buildInfo,
  buildinfo: buildInfo,
  hostInfo,
  getParameter,
  serverStatus,
  // Sessions and transactions: the driver sends these on close or abort; nothing to undo.
  endSessions: acknowledge,
  killSessions: acknowledge,
  refreshSessions: acknowledge,
  abortTransaction: acknowledge,
  commitTransaction: acknowledge,
  getLastError: () => ({ n: 0, err: null }),
  whatsmyuri: (_cmd, ctx) => ({ you: `${ctx.server.host}:0` }),
  connectionStatus: () => ({ authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] } }),
  getCmdLineOpts: () => ({ argv: ['mongod-standin'], parsed: {} }),
};
