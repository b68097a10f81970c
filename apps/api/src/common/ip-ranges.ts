import { BlockList, isIP } from 'node:net';

/**
 * Whether `entry` is a CIDR range (`10.0.0.0/8`, `fd00::/8`) of a valid address with a prefix
 * that fits its family; with `single`, a lone address counts too.
 */
export function isIpRange(entry: string, { single = false } = {}): boolean {
  const [address, prefix, extra] = entry.split('/');
  const family = isIP(address ?? '');
  if (!family || extra !== undefined) return false;
  if (prefix === undefined) return single;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** A BlockList of CIDR ranges and lone addresses (each valid by isIpRange). */
export function toBlockList(entries: string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/') as [string, string | undefined];
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return list;
}
