import path from 'node:path';
import { signToken } from '../../api/auth';
import { ConfigError, loadConfig } from '../../core/config';
import { usageError } from './errors';

/** The checkout: a relative DATA_DIR means the same folder as for `npm start` and `npm run token`. */
const ROOT = path.resolve(__dirname, '..', '..');

/**
 * `paddock token --sub <name> [--role user|admin] [--ttl 12h]`: a token for a
 * local deployment, signed as `npm run token` signs it (scripts/token.ts): with
 * JWT_SECRET (and JWT_ISSUER / JWT_AUDIENCE) from the environment, else the
 * development secret that `npm start` keeps in DATA_DIR. Prints the token only.
 */
export async function token(env: NodeJS.ProcessEnv, o: { sub?: string; role?: string; ttl?: string }): Promise<number> {
  if (!o.sub) throw usageError('paddock token needs --sub <name>');
  const role = o.role ?? 'user';
  if (role !== 'user' && role !== 'admin') throw usageError(`--role must be user or admin, not ${JSON.stringify(role)}`);
  const ttl = o.ttl ?? '12h';
  let config;
  try {
    config = loadConfig({ ...env, DATA_DIR: path.resolve(ROOT, env.DATA_DIR ?? '.paddock') });
  } catch (err) {
    if (err instanceof ConfigError) throw usageError(err.message);
    throw err;
  }
  let jwt: string;
  try {
    jwt = await signToken({ secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE }, { sub: o.sub, role }, ttl);
  } catch (err) {
    // jose refuses a time span it cannot read ("Invalid time period format").
    throw usageError(`--ttl must be a time span such as 30m, 12h or 7d, not ${JSON.stringify(ttl)} (${(err as Error).message})`);
  }
  process.stdout.write(`${jwt}\n`);
  return 0;
}
