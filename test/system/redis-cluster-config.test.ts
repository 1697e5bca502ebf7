import { ConfigError, loadConfig } from '../../core/config';
import { clusterNodes } from '../../core/redis-connect';

/** The settings that put Paddock on a Redis Cluster (test/deploy/redis-cluster.test.ts runs one). */
const base = { JWT_SECRET: 'test-secret-test-secret-test-secret-0123456789' };

describe('Redis Cluster settings', () => {
  it('QUEUE_PREFIX may be a hash tag in braces, nothing else with braces', () => {
    expect(loadConfig({ ...base, QUEUE_PREFIX: '{paddock}' }).QUEUE_PREFIX).toBe('{paddock}');
    expect(loadConfig({ ...base, QUEUE_PREFIX: 'paddock' }).QUEUE_PREFIX).toBe('paddock');
    for (const bad of ['{paddock', 'paddock}', 'a{b}', '{}', '{a:b}', 'pad*']) {
      expect(() => loadConfig({ ...base, QUEUE_PREFIX: bad })).toThrow(/QUEUE_PREFIX/);
    }
  });

  it('REDIS_CLUSTER=true needs a prefix in braces, and the error says which', () => {
    expect(loadConfig({ ...base, REDIS_CLUSTER: 'true', QUEUE_PREFIX: '{paddock}' }).REDIS_CLUSTER).toBe(true);
    expect(loadConfig({ ...base }).REDIS_CLUSTER).toBe(false);
    expect(() => loadConfig({ ...base, REDIS_CLUSTER: 'true' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, REDIS_CLUSTER: 'true' })).toThrow(/QUEUE_PREFIX=paddock: .*\{paddock\}/);
    expect(() => loadConfig({ ...base, REDIS_CLUSTER: 'yes' })).toThrow(/REDIS_CLUSTER/);
  });

  it('REDIS_URL names one seed node or several', () => {
    expect(clusterNodes('redis://10.0.0.5:7000')).toEqual([{ host: '10.0.0.5', port: 7000 }]);
    expect(clusterNodes('redis://a:7000, redis://b')).toEqual([
      { host: 'a', port: 7000 },
      { host: 'b', port: 6379 },
    ]);
    expect(clusterNodes('a:7001,b:7002')).toEqual([
      { host: 'a', port: 7001 },
      { host: 'b', port: 7002 },
    ]);
  });
});
