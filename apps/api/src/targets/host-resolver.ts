import { Injectable } from '@nestjs/common';
import { Resolver } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

/** How long one DNS query may take, and how often it is tried. */
const DNS_TIMEOUT_MS = 5_000;
const DNS_TRIES = 2;

/** The name → addresses entries of a hosts file (`/etc/hosts`), names lower-cased. */
export function parseHostsFile(text: string): Map<string, string[]> {
  const hosts = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const [address, ...names] = line.replace(/#.*/, '').trim().split(/\s+/);
    if (!address || isIP(address) === 0) continue;
    for (const name of names) {
      const key = name.toLowerCase();
      hosts.set(key, [...(hosts.get(key) ?? []), address]);
    }
  }
  return hosts;
}

function readHostsFile(): Map<string, string[]> {
  try {
    return parseHostsFile(readFileSync('/etc/hosts', 'utf8'));
  } catch {
    return new Map();
  }
}

/**
 * Resolves target host names without libuv's thread pool: `dns.lookup` runs getaddrinfo on the
 * four pool threads that password hashing and file work share, so a slow resolver (or a login
 * flood) could stall every delivery. This asks DNS directly (c-ares, on the event loop), after the
 * entries of /etc/hosts (read at start) and `localhost`.
 */
@Injectable()
export class HostResolver {
  private readonly resolver = new Resolver({ timeout: DNS_TIMEOUT_MS, tries: DNS_TRIES });
  private readonly hosts = readHostsFile();

  /** Every IPv4 and IPv6 address of `host`; rejects (ENOTFOUND) when it has none. */
  async resolve(host: string): Promise<{ address: string; family: 4 | 6 }[]> {
    const name = host.toLowerCase().replace(/\.$/, '');
    if (isIP(name)) return [{ address: name, family: isIP(name) as 4 | 6 }];
    const listed = this.hosts.get(name);
    if (listed) return listed.map((address) => ({ address, family: isIP(address) as 4 | 6 }));
    if (name === 'localhost' || name.endsWith('.localhost')) {
      return [
        { address: '127.0.0.1', family: 4 },
        { address: '::1', family: 6 },
      ];
    }
    const [v4, v6] = await Promise.allSettled([this.resolver.resolve4(name), this.resolver.resolve6(name)]);
    const addresses = [
      ...(v4.status === 'fulfilled' ? v4.value.map((address) => ({ address, family: 4 as const })) : []),
      ...(v6.status === 'fulfilled' ? v6.value.map((address) => ({ address, family: 6 as const })) : []),
    ];
    if (addresses.length === 0) {
      throw v4.status === 'rejected'
        ? v4.reason
        : Object.assign(new Error(`${host} has no address`), { code: 'ENOTFOUND' });
    }
    return addresses;
  }
}
