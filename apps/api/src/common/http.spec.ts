import { isCredentialHeader, redactCredentials } from './http';

describe('isCredentialHeader', () => {
  it.each([
    'authorization',
    'proxy-authorization',
    'cookie',
    'x-api-key',
    'x-gitlab-token',
    'x-hub-signature-256',
    'stripe-signature',
    'x-slack-signature',
    'webhook-signature',
    'svix-signature',
    'x-shopify-hmac-sha256',
    'x-webhook-secret',
    'x-auth-token',
  ])('redacts %s', (name) => expect(isCredentialHeader(name)).toBe(true));

  it.each(['content-type', 'user-agent', 'x-github-event', 'x-request-id', 'webhook-id', 'accept-encoding'])(
    'keeps %s',
    (name) => expect(isCredentialHeader(name)).toBe(false),
  );
});

describe('redactCredentials', () => {
  it('replaces the values of credential headers, whatever their case, and keeps the rest', () => {
    expect(
      redactCredentials({
        Authorization: 'Bearer x',
        'X-Hub-Signature-256': 'sha256=ab',
        'content-type': 'a/b',
      }),
    ).toEqual({ Authorization: '[redacted]', 'X-Hub-Signature-256': '[redacted]', 'content-type': 'a/b' });
  });
});
