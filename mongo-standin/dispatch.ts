/**
 * Routes a decoded command document to its handler, commits its writes, and shapes the
 * reply: `ok: 1` on success, `{ok: 0, errmsg, code, codeName}` on failure. Never throws.
 */
import type { Document } from 'bson';
import type { Handler, ServerState } from './context';
import { CommandError, errorReply, toCommandError } from './errors';
import { adminCommands } from './commands/admin';
import { indexCommands } from './commands/indexes';
import { namespaceCommands } from './commands/namespaces';
import { readCommands } from './commands/read';
import { writeCommands } from './commands/write';

const handlers: ReadonlyMap<string, Handler> = new Map(
  Object.entries({ ...adminCommands, ...namespaceCommands, ...indexCommands, ...readCommands, ...writeCommands }),
);

/** Names of the commands the stand-in answers (for documentation and tests). */
export const supportedCommands: readonly string[] = [...handlers.keys()];

export function runCommand(command: Document, server: ServerState, connectionId: number): Document {
  // The command name is the first field by protocol; session fields follow it.
  const name = Object.keys(command)[0];
  if (name === undefined) return errorReply(new CommandError('FailedToParse', 'empty command document'));
  const handler = handlers.get(name);
  if (!handler) return errorReply(new CommandError('CommandNotFound', `no such command: '${name}'`));
  const db = typeof command.$db === 'string' ? command.$db : 'admin';
  // The driver only sends txnNumber inside a transaction here (a standalone gets no
  // retryable writes). Running those writes without rollback would be a lie: refuse,
  // exactly like a standalone mongod does.
  if (command.txnNumber !== undefined) {
    return errorReply(new CommandError('IllegalOperation', 'Transaction numbers are only allowed on a replica set member or mongos'));
  }
  const { store } = server;
  if (store.failed) {
    return errorReply(new CommandError('InternalError', `the stand-in stopped serving after its storage failed (${store.failed.message}); restart it: every acknowledged write is on disk`));
  }
  let reply: Document;
  try {
    reply = { ...handler(command, { server, db, connectionId }), ok: 1 };
  } catch (err) {
    reply = errorReply(toCommandError(err));
  }
  // Whatever the handler changed (also before a statement failed) is made durable
  // before anyone hears about it: a reply is only sent after this returns.
  try {
    store.commit();
  } catch (err) {
    return errorReply(new CommandError('InternalError', `the stand-in could not store this command's writes: ${(err as Error).message}`));
  }
  return reply;
}
