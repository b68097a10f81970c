import { Inject, Injectable } from '@nestjs/common';
import { BlockList, isIP } from 'node:net';
import { toBlockList } from '../common/ip-ranges';
import { APP_CONFIG, AppConfig } from '../config/config';
import { HostResolver } from './host-resolver';

/** Everything that is not a public unicast address: loopback, private, link-local, CGNAT, multicast, metadata, reserved. */
const NON_PUBLIC_V4 = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.88.99.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
];
const NON_PUBLIC_V6 = [
  '::/96',
  '64:ff9b::/96',
  '64:ff9b:1::/48',
  '100::/64',
  '2001::/23',
  '2001:db8::/32',
  '2002::/16',
  'fc00::/7',
  'fe80::/10',
  'fec0::/10',
  'ff00::/8',
];

/** The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, `::ffff:a00:1`): checked as IPv4. */
function mappedIpv4(address: string): string | undefined {
  const match = /^::ffff:(.+)$/i.exec(address);
  if (!match) return undefined;
  const rest = match[1]!;
  if (isIP(rest) === 4) return rest;
  const groups = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(rest);
  if (!groups) return undefined;
  const high = parseInt(groups[1]!, 16);
  const low = parseInt(groups[2]!, 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

export type AddressCheck = { allowed: true } | { allowed: false; reason: string };

/**
 * Refuses target addresses that are not public (SSRF protection), unless ALLOW_PRIVATE_TARGETS is
 * set or the address is in ALLOWED_TARGET_CIDRS. Used when a target is saved and again, on the
 * resolved address, when it is called.
 */
@Injectable()
export class SsrfGuard {
  private readonly nonPublic = { ipv4: toBlockList(NON_PUBLIC_V4), ipv6: toBlockList(NON_PUBLIC_V6) };
  private readonly allowed: BlockList;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly resolver: HostResolver,
  ) {
    this.allowed = toBlockList(config.allowedTargetCidrs);
  }

  checkAddress(address: string): AddressCheck {
    if (this.config.allowPrivateTargets) return { allowed: true };
    const v4 = mappedIpv4(address);
    const family = !v4 && isIP(address) === 6 ? 'ipv6' : 'ipv4';
    const candidate = v4 ?? address;
    if (this.allowed.check(candidate, family)) return { allowed: true };
    if (this.nonPublic[family].check(candidate, family)) {
      return {
        allowed: false,
        reason: `${address} is not a public address (set ALLOW_PRIVATE_TARGETS=true or ALLOWED_TARGET_CIDRS to allow it)`,
      };
    }
    return { allowed: true };
  }

  /** Checks every address the URL's host resolves to; a host that does not resolve passes (checked again at send time). */
  async checkUrl(url: string): Promise<AddressCheck> {
    const host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
    if (isIP(host)) return this.checkAddress(host);
    if (this.config.allowPrivateTargets) return { allowed: true };
    let addresses: { address: string }[];
    try {
      addresses = await this.resolver.resolve(host);
    } catch {
      return { allowed: true };
    }
    for (const { address } of addresses) {
      const check = this.checkAddress(address);
      if (!check.allowed) return { allowed: false, reason: `${host} resolves to ${check.reason}` };
    }
    return { allowed: true };
  }
}
