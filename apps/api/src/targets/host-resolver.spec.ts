import { HostResolver, parseHostsFile } from './host-resolver';

describe('HostResolver', () => {
  it('reads a hosts file: addresses per name, comments and blank lines ignored', () => {
    const hosts = parseHostsFile(
      [
        '# local',
        '127.0.0.1 localhost runsc',
        '',
        '10.1.2.3  billing.internal  # the API',
        '::1 localhost',
      ].join('\n'),
    );
    expect(hosts.get('localhost')).toEqual(['127.0.0.1', '::1']);
    expect(hosts.get('billing.internal')).toEqual(['10.1.2.3']);
    expect(hosts.has('#')).toBe(false);
  });

  it('answers addresses and localhost without asking DNS', async () => {
    const resolver = new HostResolver();
    await expect(resolver.resolve('10.0.0.7')).resolves.toEqual([{ address: '10.0.0.7', family: 4 }]);
    const localhost = await resolver.resolve('LOCALHOST.');
    expect(localhost.map((a) => a.address)).toContain('127.0.0.1');
    await expect(resolver.resolve('api.localhost')).resolves.toContainEqual({ address: '::1', family: 6 });
  });

  it('rejects a name that does not resolve', async () => {
    await expect(new HostResolver().resolve('no-such-host.invalid')).rejects.toMatchObject({
      code: expect.any(String),
    });
  });
});
