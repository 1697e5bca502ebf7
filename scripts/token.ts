/**
 * `npm run --silent token -- --sub <name> --role <user|admin> [--ttl 12h]`
 * Prints one token signed with the configured JWT_SECRET (or the development
 * secret), and nothing else.
 */
import { parseArgs } from 'node:util';
import { signToken } from '../api/auth';
import { loadConfig } from '../core/config';

const { values } = parseArgs({
  options: {
    sub: { type: 'string' },
    role: { type: 'string', default: 'user' },
    ttl: { type: 'string', default: '12h' },
  },
});

if (!values.sub || (values.role !== 'user' && values.role !== 'admin')) {
  process.stderr.write('usage: npm run --silent token -- --sub <name> --role <user|admin> [--ttl 12h]\n');
  process.exit(2);
}
const config = loadConfig();
signToken(
  { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE },
  { sub: values.sub, role: values.role },
  values.ttl,
).then((token) => process.stdout.write(`${token}\n`));
