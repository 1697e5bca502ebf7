import dns from 'node:dns';
import net from 'node:net';
import { z } from 'zod';

/**
 * Where a webhook may go. Loopback, private, link-local, carrier-grade NAT,
 * unspecified and multicast addresses are refused (SSRF: a callback must not
 * reach Paddock's own Redis, MongoDB or cloud metadata), unless WEBHOOK_ALLOW
 * lists them. Checked on the literal at submission and on every address the
 * connection actually uses at delivery (a name that resolves to an internal
 * address, or changes to one later, is refused too).
 */
const INTERNAL: [string, number, 'ipv4' | 'ipv6'][] = [
  ['0.0.0.0', 8, 'ipv4'], ['10.0.0.0', 8, 'ipv4'], ['100.64.0.0', 10, 'ipv4'], ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'], ['172.16.0.0', 12, 'ipv4'], ['192.168.0.0', 16, 'ipv4'], ['224.0.0.0', 3, 'ipv4'],
  ['::', 128, 'ipv6'], ['::1', 128, 'ipv6'], ['fc00::', 7, 'ipv6'], ['fe80::', 10, 'ipv6'], ['ff00::', 8, 'ipv6'],
];

const internal = new net.BlockList();
for (const [addr, prefix, type] of INTERNAL) internal.addSubnet(addr, prefix, type);

/** WEBHOOK_ALLOW: comma-separated CIDRs (or single addresses) that may be targeted although internal. */
export function parseAllowList(spec: string | undefined): net.BlockList {
  const allow = new net.BlockList();
  for (const part of (spec ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const [addr, bits] = part.split('/');
    const type = net.isIPv6(addr ?? '') ? 'ipv6' : 'ipv4';
    if (!net.isIP(addr ?? '')) throw new Error(`not an address or CIDR: ${part}`);
    allow.addSubnet(addr!, bits === undefined ? (type === 'ipv6' ? 128 : 32) : Number(bits), type);
  }
  return allow;
}

/** Why this address may not be targeted, or undefined when it may. */
export function refusal(address: string, allow: net.BlockList): string | undefined {
  // BlockList judges an IPv4-mapped IPv6 address (::ffff:7f00:1) as the IPv4 address it is.
  const family = net.isIPv6(address) ? 'ipv6' : 'ipv4';
  if (!internal.check(address, family) || allow.check(address, family)) return undefined;
  return `${address} is a loopback, private or link-local address (allow it with WEBHOOK_ALLOW)`;
}

export const callbackUrlSchema = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .refine((u) => !new URL(u).username && !new URL(u).password, { message: 'must not carry credentials' });

/** The submission-time check: a literal internal address or `localhost` is refused unless allowed. */
export function literalRefusal(url: string, allow: net.BlockList): string | undefined {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return refusal('127.0.0.1', allow) && `${host} is loopback (allow it with WEBHOOK_ALLOW)`;
  return net.isIP(host) ? refusal(host, allow) : undefined;
}

/** A dns.lookup for http.request that refuses internal addresses: the check covers the address actually connected to. */
export function guardedLookup(allow: net.BlockList): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as dns.LookupAddress[];
      const bad = list.map((a) => refusal(a.address, allow)).find(Boolean);
      if (bad) return callback(Object.assign(new Error(`blocked: ${hostname} resolves to ${bad}`), { code: 'EBLOCKED' }), '', 0);
      if ((options as dns.LookupOptions).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      const first = list[0]!;
      callback(null, first.address, first.family);
    });
  };
}
