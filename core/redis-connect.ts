import { Cluster, Redis, type RedisOptions } from 'ioredis';

/**
 * One way to open Paddock's Redis connection, single server or Redis Cluster
 * (REDIS_CLUSTER). A Cluster is handed around typed as `Redis`: Paddock uses only
 * commands that both clients have, each naming its keys (all under the
 * QUEUE_PREFIX hash tag, so one slot), plus SUBSCRIBE/PUBLISH, which a cluster
 * relays to every node. The two exceptions are handled here: `duplicate()`
 * takes other arguments on a Cluster, and SCAN sees one node only
 * (`masters()`). BullMQ recognises a Cluster by itself (`isCluster`).
 */

/** `redis://a:6379,redis://b:6379` (or `a:6379,b:6379`): the seed nodes of a cluster. */
export function clusterNodes(url: string): { host: string; port: number }[] {
  return url.split(',').map((part) => {
    const u = new URL(/^rediss?:\/\//.test(part.trim()) ? part.trim() : `redis://${part.trim()}`);
    return { host: u.hostname, port: Number(u.port || 6379) };
  });
}

/** The password and username of the first seed URL, shared by every node of a cluster. */
function clusterAuth(url: string): RedisOptions {
  const first = url.split(',')[0]!.trim();
  if (!/^rediss?:\/\//.test(first)) return {};
  const u = new URL(first);
  return {
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

export function openRedis(url: string, cluster: boolean, options: RedisOptions): Redis {
  if (!cluster) return new Redis(url, options);
  const { lazyConnect, ...redisOptions } = options;
  const client = new Cluster(clusterNodes(url), { lazyConnect, redisOptions: { ...clusterAuth(url), ...redisOptions } });
  return client as unknown as Redis;
}

export function isCluster(redis: Redis): boolean {
  return (redis as unknown as { isCluster?: boolean }).isCluster === true;
}

/** `redis.duplicate(options)` for either client. */
export function duplicateRedis(redis: Redis, options: Partial<RedisOptions>): Redis {
  if (!isCluster(redis)) return redis.duplicate(options);
  const cluster = redis as unknown as Cluster;
  const redisOptions = { ...cluster.options.redisOptions, ...options };
  return cluster.duplicate(undefined, { redisOptions }) as unknown as Redis;
}

/** The servers a keyspace SCAN must visit: every master of a cluster, or the one server. */
export function masters(redis: Redis): Redis[] {
  return isCluster(redis) ? (redis as unknown as Cluster).nodes('master') : [redis];
}
