import { randomBytes } from 'node:crypto';

/** `<prefix>_<time base36><80 random bits>`: roughly time-ordered, unguessable (same shape as run ids). */
export function newId(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${randomBytes(10).toString('hex')}`;
}
