import { clientAddress, compileProxyTrust, isProxyRange, normaliseAddress } from './proxy-trust';

describe('normaliseAddress', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    [' 203.0.113.7 ', '203.0.113.7'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['fe80::1%eth0', 'fe80::1'],
    [`::1%${'a'.repeat(120)}`, '::1'],
    ['::ffff:192.0.2.128', '192.0.2.128'],
    ['::FFFF:c000:0280', '192.0.2.128'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ])('%s → %s', (raw, expected) => {
    expect(normaliseAddress(raw)).toBe(expected);
  });

  it.each(['', 'unknown', '203.0.113.7:443', '[::1]', '1.2.3.256', `${'a'.repeat(100)}`])(
    'rejects %j',
    (raw) => {
      expect(normaliseAddress(raw)).toBeNull();
    },
  );
});

describe('isProxyRange', () => {
  it.each(['10.0.0.1', '10.0.0.0/8', 'fd00::/8', '::1', 'loopback', 'linklocal', 'uniquelocal'])(
    'accepts %s',
    (entry) => expect(isProxyRange(entry)).toBe(true),
  );
  it.each(['10.0.0.0/33', 'fd00::/129', '10.0.0.0/8/1', 'proxy.local', '10.0.0.0/', '10.0.0.0/-1', ''])(
    'rejects %j',
    (entry) => expect(isProxyRange(entry)).toBe(false),
  );
});

describe('clientAddress', () => {
  const forwarded = '198.51.100.1, 203.0.113.9, 10.0.0.5';

  it('ignores X-Forwarded-For when no proxy is trusted', () => {
    expect(clientAddress('10.0.0.2', forwarded, compileProxyTrust(false))).toBe('10.0.0.2');
  });

  it('takes the leftmost address when every hop is trusted', () => {
    expect(clientAddress('10.0.0.2', forwarded, compileProxyTrust(true))).toBe('198.51.100.1');
  });

  it('takes the address a hop count of proxies reports', () => {
    expect(clientAddress('10.0.0.2', forwarded, compileProxyTrust(1))).toBe('10.0.0.5');
    expect(clientAddress('10.0.0.2', forwarded, compileProxyTrust(2))).toBe('203.0.113.9');
    expect(clientAddress('10.0.0.2', forwarded, compileProxyTrust(9))).toBe('198.51.100.1');
  });

  it('takes the rightmost address outside the trusted ranges', () => {
    const trust = compileProxyTrust(['10.0.0.0/8', 'loopback']);
    expect(clientAddress('10.0.0.2', forwarded, trust)).toBe('203.0.113.9');
    expect(clientAddress('::ffff:127.0.0.1', '203.0.113.9', trust)).toBe('203.0.113.9');
    expect(clientAddress('192.0.2.1', forwarded, trust)).toBe('192.0.2.1');
    expect(clientAddress('10.0.0.2', undefined, trust)).toBe('10.0.0.2');
  });

  it('trusts single addresses, IPv4-mapped forms included', () => {
    const trust = compileProxyTrust(['::ffff:10.0.0.2']);
    expect(trust('10.0.0.2', 0)).toBe(true);
    expect(trust('::ffff:10.0.0.2', 0)).toBe(true);
    expect(trust('10.0.0.3', 0)).toBe(false);
  });

  it('normalises the answer and stops at an entry that is not an address', () => {
    const trust = compileProxyTrust(true);
    expect(clientAddress('127.0.0.1', `::1%${'a'.repeat(120)}`, trust)).toBe('::1');
    expect(clientAddress('127.0.0.1', '198.51.100.1, garbage, 10.0.0.5', trust)).toBe('10.0.0.5');
    expect(clientAddress('127.0.0.1', '', trust)).toBe('127.0.0.1');
    expect(clientAddress(undefined, forwarded, trust)).toBeNull();
  });
});
