import { isIpRange, toBlockList } from './ip-ranges';

describe('isIpRange', () => {
  it('takes CIDR ranges of either family with a prefix that fits it', () => {
    for (const range of ['10.0.0.0/8', '0.0.0.0/0', '192.168.1.1/32', 'fd00::/8', '::1/128']) {
      expect(isIpRange(range)).toBe(true);
    }
  });

  it('refuses bad addresses, prefixes too long for the family, extra parts and lone addresses', () => {
    for (const entry of [
      '10.0.0.0/33',
      'fd00::/129',
      '10.0.0/8',
      '10.0.0.0/8/1',
      '10.0.0.0/x',
      '10.0.0.1',
      '',
    ]) {
      expect(isIpRange(entry)).toBe(false);
    }
    expect(isIpRange('10.0.0.1', { single: true })).toBe(true);
  });
});

describe('toBlockList', () => {
  it('holds ranges and lone addresses of both families', () => {
    const list = toBlockList(['10.0.0.0/8', '192.0.2.7', 'fd00::/8']);
    expect(list.check('10.1.2.3', 'ipv4')).toBe(true);
    expect(list.check('192.0.2.7', 'ipv4')).toBe(true);
    expect(list.check('192.0.2.8', 'ipv4')).toBe(false);
    expect(list.check('fd12::1', 'ipv6')).toBe(true);
  });
});
