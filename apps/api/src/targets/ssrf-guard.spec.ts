import { HostResolver } from './host-resolver';
import { loadConfig } from '../config/config';
import { SsrfGuard } from './ssrf-guard';

describe('SsrfGuard', () => {
  const guard = new SsrfGuard(loadConfig({}), new HostResolver());

  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fd00:ec2::254',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::127.0.0.1',
    '::ffff:a9fe:a9fe',
    '64:ff9b::7f00:1',
    '2002:7f00:1::',
  ])('refuses %s', (address) => {
    expect(guard.checkAddress(address)).toMatchObject({ allowed: false });
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows %s', (address) => {
    expect(guard.checkAddress(address)).toEqual({ allowed: true });
  });

  it('explains how to allow a refused address', () => {
    expect(guard.checkAddress('10.0.0.1')).toEqual({
      allowed: false,
      reason:
        '10.0.0.1 is not a public address (set ALLOW_PRIVATE_TARGETS=true or ALLOWED_TARGET_CIDRS to allow it)',
    });
  });

  it('allows everything with ALLOW_PRIVATE_TARGETS and listed ranges with ALLOWED_TARGET_CIDRS', () => {
    expect(
      new SsrfGuard(loadConfig({ ALLOW_PRIVATE_TARGETS: 'true' }), new HostResolver()).checkAddress(
        '127.0.0.1',
      ),
    ).toEqual({
      allowed: true,
    });
    const listed = new SsrfGuard(loadConfig({ ALLOWED_TARGET_CIDRS: '10.1.0.0/16' }), new HostResolver());
    expect(listed.checkAddress('10.1.2.3')).toEqual({ allowed: true });
    expect(listed.checkAddress('10.2.0.1')).toMatchObject({ allowed: false });
  });

  it('checks URLs by literal address and by what the host name resolves to', async () => {
    await expect(guard.checkUrl('http://127.0.0.1:8080/hook')).resolves.toMatchObject({ allowed: false });
    await expect(guard.checkUrl('http://[::1]/hook')).resolves.toMatchObject({ allowed: false });
    const viaName = await guard.checkUrl('http://localhost/hook');
    expect(viaName).toMatchObject({
      allowed: false,
      reason: expect.stringMatching(/^localhost resolves to /),
    });
  });
});
