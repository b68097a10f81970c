import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import {
  compileVerifier,
  PRESETS,
  VerifiableRequest,
  VerificationConfig,
  VerificationPreset,
  VerificationSecret,
} from './verification';

function secret(value: string, expiresAt: string | null = null): VerificationSecret {
  return { id: value, secret: value, createdAt: '2025-01-01T00:00:00.000Z', expiresAt };
}

function presetConfig(preset: VerificationPreset, ...secrets: string[]): VerificationConfig {
  return { ...PRESETS[preset].fields, preset, username: null, secrets: secrets.map((s) => secret(s)) };
}

/** A verifier whose clock says `seconds` since the epoch. */
function verifierAt(config: VerificationConfig, seconds: number) {
  return compileVerifier(config, () => seconds * 1000)!;
}

function request(headers: Record<string, string>, body: string, query = ''): VerifiableRequest {
  return { headers, body: Buffer.from(body), query };
}

const NOW = 1_764_400_000;

describe('inbound verification', () => {
  it('has no verifier when verification is off', () => {
    expect(compileVerifier(null)).toBeNull();
  });

  describe('GitHub (the example of GitHub’s documentation)', () => {
    const config = presetConfig('github', "It's a Secret to Everybody");
    const signature = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    const verifier = verifierAt(config, NOW);

    it('accepts the documented signature', () => {
      expect(verifier.verify(request({ 'x-hub-signature-256': signature }, 'Hello, World!'))).toBeNull();
    });

    it('refuses a tampered body, a wrong secret, a missing or malformed header', () => {
      expect(verifier.verify(request({ 'x-hub-signature-256': signature }, 'Hello, World?'))).toMatchObject({
        reason: 'mismatch',
      });
      expect(
        verifierAt(presetConfig('github', 'another secret entirely'), NOW).verify(
          request({ 'x-hub-signature-256': signature }, 'Hello, World!'),
        ),
      ).toMatchObject({ reason: 'mismatch' });
      expect(verifier.verify(request({}, 'Hello, World!'))).toMatchObject({ reason: 'missing' });
      expect(
        verifier.verify(request({ 'x-hub-signature-256': signature.slice(7) }, 'Hello, World!')),
      ).toMatchObject({ reason: 'malformed' });
      expect(
        verifier.verify(request({ 'x-hub-signature-256': 'sha256=not-hex' }, 'Hello, World!')),
      ).toMatchObject({ reason: 'malformed' });
    });
  });

  describe('Slack (the example of Slack’s documentation)', () => {
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V' +
      '&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=' +
      '&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN' +
      '&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    const headers = {
      'x-slack-request-timestamp': '1531420618',
      'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    };
    const config = presetConfig('slack', '8f742231b10e8888abcd99yyyzzz85a5');

    it('accepts the documented request within the tolerance of its timestamp', () => {
      expect(verifierAt(config, 1531420618 + 299).verify(request(headers, body))).toBeNull();
      expect(verifierAt(config, 1531420618 - 299).verify(request(headers, body))).toBeNull();
    });

    it('refuses it once the timestamp is older than the tolerance (a replay), and a changed timestamp', () => {
      expect(verifierAt(config, 1531420618 + 301).verify(request(headers, body))).toMatchObject({
        reason: 'timestamp_expired',
      });
      expect(verifierAt(config, NOW).verify(request(headers, body))).toMatchObject({
        reason: 'timestamp_expired',
      });
      const moved = { ...headers, 'x-slack-request-timestamp': '1531420619' };
      expect(verifierAt(config, 1531420618).verify(request(moved, body))).toMatchObject({
        reason: 'mismatch',
      });
      const missing = { 'x-slack-signature': headers['x-slack-signature'] };
      expect(verifierAt(config, 1531420618).verify(request(missing, body))).toMatchObject({
        reason: 'timestamp_invalid',
      });
    });

    it('refuses a tampered body and a wrong secret', () => {
      expect(verifierAt(config, 1531420618).verify(request(headers, `${body}&x=1`))).toMatchObject({
        reason: 'mismatch',
      });
      const wrong = presetConfig('slack', '8f742231b10e8888abcd99yyyzzz85a6');
      expect(verifierAt(wrong, 1531420618).verify(request(headers, body))).toMatchObject({
        reason: 'mismatch',
      });
    });
  });

  describe('Stripe (signed as Stripe documents: HMAC-SHA256 hex of "t.body")', () => {
    const key = 'whsec_stripeTestSecret0123456789';
    const body = '{"id":"evt_1","type":"invoice.paid"}';
    const sign = (t: number, secretValue = key, payload = body) =>
      createHmac('sha256', secretValue).update(`${t}.${payload}`).digest('hex');
    const config = presetConfig('stripe', key);

    it('accepts a genuine header, also with several v1 signatures and a v0 one', () => {
      const verifier = verifierAt(config, NOW + 10);
      expect(verifier.verify(request({ 'stripe-signature': `t=${NOW},v1=${sign(NOW)}` }, body))).toBeNull();
      const several = `t=${NOW},v1=${sign(NOW, 'whsec_someOtherSecret')},v1=${sign(NOW)},v0=abc`;
      expect(verifier.verify(request({ 'stripe-signature': several }, body))).toBeNull();
    });

    it('refuses a tampered body, a wrong secret, an expired timestamp, no v1', () => {
      const header = `t=${NOW},v1=${sign(NOW)}`;
      expect(
        verifierAt(config, NOW).verify(request({ 'stripe-signature': header }, `${body} `)),
      ).toMatchObject({
        reason: 'mismatch',
      });
      const wrong = `t=${NOW},v1=${sign(NOW, 'whsec_wrongSecret0123456789')}`;
      expect(verifierAt(config, NOW).verify(request({ 'stripe-signature': wrong }, body))).toMatchObject({
        reason: 'mismatch',
      });
      expect(
        verifierAt(config, NOW + 301).verify(request({ 'stripe-signature': header }, body)),
      ).toMatchObject({
        reason: 'timestamp_expired',
      });
      expect(verifierAt(config, NOW).verify(request({ 'stripe-signature': `t=${NOW}` }, body))).toMatchObject(
        {
          reason: 'malformed',
        },
      );
      expect(
        verifierAt(config, NOW).verify(request({ 'stripe-signature': `v1=${sign(NOW)}` }, body)),
      ).toMatchObject({ reason: 'timestamp_invalid' });
    });
  });

  describe('Shopify (signed as Shopify documents: HMAC-SHA256 base64 of the body)', () => {
    const key = 'shpss_0123456789abcdef';
    const body = '{"id":820982911946154508,"email":"jon@example.com"}';
    const signature = createHmac('sha256', key).update(body).digest('base64');
    const verifier = verifierAt(presetConfig('shopify', key), NOW);

    it('accepts a genuine request and refuses a tampered body or a wrong secret', () => {
      expect(verifier.verify(request({ 'x-shopify-hmac-sha256': signature }, body))).toBeNull();
      expect(verifier.verify(request({ 'x-shopify-hmac-sha256': signature }, `${body}\n`))).toMatchObject({
        reason: 'mismatch',
      });
      const wrong = createHmac('sha256', 'shpss_wrong').update(body).digest('base64');
      expect(verifier.verify(request({ 'x-shopify-hmac-sha256': wrong }, body))).toMatchObject({
        reason: 'mismatch',
      });
    });
  });

  describe('GitLab (a token in X-Gitlab-Token)', () => {
    const verifier = verifierAt(presetConfig('gitlab', 'gitlab-secret-token'), NOW);

    it('accepts the token and refuses another one or none', () => {
      expect(verifier.verify(request({ 'x-gitlab-token': 'gitlab-secret-token' }, '{}'))).toBeNull();
      expect(verifier.verify(request({ 'x-gitlab-token': 'gitlab-secret-tokeN' }, '{}'))).toMatchObject({
        reason: 'mismatch',
      });
      expect(verifier.verify(request({}, '{}'))).toMatchObject({ reason: 'missing' });
    });
  });

  describe('Standard Webhooks (a vector made by the standardwebhooks library)', () => {
    const key = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const body = '{"type":"user.created","data":{"id":1}}';
    const signed = (at: number, secretValue = key, id = 'msg_1') => ({
      'webhook-id': id,
      'webhook-timestamp': String(at),
      'webhook-signature': new Webhook(secretValue).sign(id, new Date(at * 1000), body),
    });
    const config = presetConfig('standard-webhooks', key);

    it('accepts what the library signs, also among several signatures', () => {
      const headers = signed(NOW);
      expect(verifierAt(config, NOW).verify(request(headers, body))).toBeNull();
      const other = signed(NOW, 'whsec_c2Vjb25kIHNlY3JldCBvZiB0aGUgc2VuZGVy')['webhook-signature'];
      const several = { ...headers, 'webhook-signature': `${other} ${headers['webhook-signature']}` };
      expect(verifierAt(config, NOW).verify(request(several, body))).toBeNull();
    });

    it('refuses a tampered body, a wrong secret, another id, an expired timestamp', () => {
      const headers = signed(NOW);
      expect(verifierAt(config, NOW).verify(request(headers, `${body} `))).toMatchObject({
        reason: 'mismatch',
      });
      const wrong = signed(NOW, 'whsec_c2Vjb25kIHNlY3JldCBvZiB0aGUgc2VuZGVy');
      expect(verifierAt(config, NOW).verify(request(wrong, body))).toMatchObject({ reason: 'mismatch' });
      expect(
        verifierAt(config, NOW).verify(request({ ...headers, 'webhook-id': 'msg_2' }, body)),
      ).toMatchObject({ reason: 'mismatch' });
      expect(verifierAt(config, NOW + 301).verify(request(headers, body))).toMatchObject({
        reason: 'timestamp_expired',
      });
    });
  });

  describe('Svix (the example of Svix’s documentation)', () => {
    const config = presetConfig('svix', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    const headers = {
      'svix-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'svix-timestamp': '1614265330',
      'svix-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    const body = '{"test": 2432232314}';

    it('accepts the documented request at its time and refuses it later, tampered or with another secret', () => {
      expect(verifierAt(config, 1614265330).verify(request(headers, body))).toBeNull();
      expect(verifierAt(config, 1614265330 + 301).verify(request(headers, body))).toMatchObject({
        reason: 'timestamp_expired',
      });
      expect(verifierAt(config, 1614265330).verify(request(headers, '{"test": 2432232315}'))).toMatchObject({
        reason: 'mismatch',
      });
      const wrong = presetConfig('svix', 'whsec_c2Vjb25kIHNlY3JldCBvZiB0aGUgc2VuZGVy');
      expect(verifierAt(wrong, 1614265330).verify(request(headers, body))).toMatchObject({
        reason: 'mismatch',
      });
    });
  });

  describe('token and basic', () => {
    const token: VerificationConfig = {
      ...PRESETS.gitlab.fields,
      header: 'x-webhook-token',
      preset: null,
      username: null,
      secrets: [secret('a-long-enough-token')],
    };

    it('takes a token from its header or from ?token=', () => {
      const verifier = verifierAt(token, NOW);
      expect(verifier.verify(request({ 'x-webhook-token': 'a-long-enough-token' }, ''))).toBeNull();
      expect(verifier.verify(request({}, '', 'a=1&token=a-long-enough-token'))).toBeNull();
      expect(verifier.verify(request({}, '', 'token=a-long-enough-tokeN'))).toMatchObject({
        reason: 'mismatch',
      });
      expect(verifier.verify(request({}, '', 'a=1'))).toMatchObject({ reason: 'missing' });
    });

    it('checks the username and the password of Basic credentials', () => {
      const basic: VerificationConfig = { ...token, method: 'basic', header: null, username: 'stripe' };
      const verifier = verifierAt(basic, NOW);
      const auth = (user: string, password: string) => ({
        authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
      });
      expect(verifier.verify(request(auth('stripe', 'a-long-enough-token'), ''))).toBeNull();
      expect(verifier.verify(request(auth('github', 'a-long-enough-token'), ''))).toMatchObject({
        reason: 'mismatch',
      });
      expect(verifier.verify(request(auth('stripe', 'wrong-password'), ''))).toMatchObject({
        reason: 'mismatch',
      });
      expect(verifier.verify(request({ authorization: 'Bearer x' }, ''))).toMatchObject({
        reason: 'malformed',
      });
      expect(verifier.verify(request({}, ''))).toMatchObject({ reason: 'missing' });
    });

    it('accepts an old secret until its grace period ends, the new one all along', () => {
      const rotated: VerificationConfig = {
        ...token,
        secrets: [
          secret('the-new-token-value'),
          secret('a-long-enough-token', new Date(NOW * 1000).toISOString()),
        ],
      };
      const old = request({ 'x-webhook-token': 'a-long-enough-token' }, '');
      const current = request({ 'x-webhook-token': 'the-new-token-value' }, '');
      expect(verifierAt(rotated, NOW - 1).verify(old)).toBeNull();
      expect(verifierAt(rotated, NOW - 1).verify(current)).toBeNull();
      expect(verifierAt(rotated, NOW).verify(old)).toMatchObject({ reason: 'mismatch' });
      expect(verifierAt(rotated, NOW).verify(current)).toBeNull();
    });
  });

  it('redacts the headers a verification reads, and credentials by name', () => {
    const verifier = verifierAt({ ...presetConfig('github', 'x'), header: 'x-custom-sig' }, NOW);
    expect(
      verifier.redact({ 'x-custom-sig': 'abc', 'x-hub-signature-256': 'def', 'user-agent': 'GitHub' }),
    ).toEqual({ 'x-custom-sig': '[redacted]', 'x-hub-signature-256': '[redacted]', 'user-agent': 'GitHub' });
  });
});
