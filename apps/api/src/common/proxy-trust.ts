import { isIP } from 'node:net';
import { isIpRange, toBlockList } from './ip-ranges';

/**
 * TRUST_PROXY as read from the environment: trust no proxy (`false`), every hop (`true`), the
 * nearest `n` hops (a number) or the hops whose address is in a list of addresses and CIDR ranges
 * (the names `loopback`, `linklocal` and `uniquelocal` stand for their ranges), like Express's
 * `trust proxy`.
 */
export type ProxyTrustSetting = boolean | number | string[];

/**
 * Whether the hop at `address` is a trusted proxy; `hop` counts from 0, the peer of the socket,
 * through X-Forwarded-For from right to left. The shape Express takes as `trust proxy`.
 */
export type ProxyTrust = (address: string, hop: number) => boolean;

/** The named ranges a TRUST_PROXY list may use, as Express names them. */
export const PROXY_RANGE_NAMES: Record<string, string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/** Longest text of a normalised address (a full IPv6 address); the `source_ip` column holds 64. */
export const MAX_ADDRESS_LENGTH = 39;

const MAPPED_IPV4 = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

/**
 * The canonical text of an IP address, or null when `raw` is not one: the IPv6 zone id is dropped,
 * IPv6 is lower-case and compressed, and an IPv4-mapped IPv6 address becomes the IPv4 address.
 * The result is never longer than MAX_ADDRESS_LENGTH.
 */
export function normaliseAddress(raw: string): string | null {
  const zone = raw.indexOf('%');
  const address = (zone === -1 ? raw : raw.slice(0, zone)).trim();
  const family = isIP(address);
  if (family === 4) return address;
  if (family !== 6) return null;
  const canonical = new URL(`http://[${address}]`).hostname.slice(1, -1);
  const mapped = MAPPED_IPV4.exec(canonical);
  if (!mapped) return canonical;
  const high = parseInt(mapped[1]!, 16);
  const low = parseInt(mapped[2]!, 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/** Whether `entry` may appear in a TRUST_PROXY list: an address, a CIDR range or a range name. */
export function isProxyRange(entry: string): boolean {
  return entry in PROXY_RANGE_NAMES || isIpRange(entry, { single: true });
}

/** The trust function of a TRUST_PROXY setting (validated by loadConfig). */
export function compileProxyTrust(setting: ProxyTrustSetting): ProxyTrust {
  if (setting === true) return () => true;
  if (setting === false) return () => false;
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  const ranges = toBlockList(
    setting
      .flatMap((item) => PROXY_RANGE_NAMES[item] ?? [item])
      .map((entry) => (entry.includes('/') ? entry : normaliseAddress(entry)!)),
  );
  return (raw) => {
    const address = normaliseAddress(raw);
    return address !== null && ranges.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
  };
}

/**
 * The address of the client as the trusted proxies report it: the rightmost untrusted hop of
 * `socket peer ← X-Forwarded-For (right to left)`, normalised, as Express computes `request.ip`
 * with the same trust function. An entry that is not an IP address ends the walk, and the hop
 * that reported it is the answer. Null only when the socket has no address (it was closed).
 */
export function clientAddress(
  socketAddress: string | undefined,
  forwardedFor: string | undefined,
  trust: ProxyTrust,
): string | null {
  let address = socketAddress === undefined ? null : normaliseAddress(socketAddress);
  if (address === null || forwardedFor === undefined || !trust(address, 0)) return address;
  const hops = forwardedFor.split(',');
  for (let i = hops.length - 1, hop = 1; i >= 0; i--, hop++) {
    const next = normaliseAddress(hops[i]!);
    if (next === null) return address;
    address = next;
    if (!trust(address, hop)) return address;
  }
  return address;
}

/** Injection token of the process's one trust function (TRUST_PROXY), shared by Express and ingest. */
export const PROXY_TRUST = Symbol('PROXY_TRUST');
