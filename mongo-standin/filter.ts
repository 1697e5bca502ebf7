/**
 * Filters compiled to mingo queries. Every filter in the stand-in goes through here.
 */
import { Query } from 'mingo';
import { CommandError } from './errors';
import { canonicalKey, isPlainObject, type Doc } from './doc';

/**
 * Building a mingo Query copies its whole operator table (~0.1 ms), more than matching
 * a small collection, so compiled filters are cached by their canonical form. A pure,
 * bounded memo shared by all instances is harmless, except for filters whose result
 * depends on when they run: mingo fixes $$NOW at first use, so those are never cached.
 */
const compiled = new Map<string, Query>();
const COMPILED_MAX = 500;
const TIME_OR_CHANCE = /\$\$NOW|\$\$CLUSTER_TIME|\$rand|\$where|\$function/;

/** Compiles a filter (cached); an invalid operator surfaces as BadValue. */
export function compileFilter(filter: unknown): Query {
  if (filter !== undefined && filter !== null && !isPlainObject(filter)) {
    throw new CommandError('TypeMismatch', 'filter must be an object');
  }
  const key = canonicalKey(filter ?? {});
  let query = compiled.get(key);
  if (!query) {
    query = new Query((filter ?? {}) as Doc);
    if (TIME_OR_CHANCE.test(key)) return query;
    if (compiled.size >= COMPILED_MAX) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, query);
  }
  return query;
}
