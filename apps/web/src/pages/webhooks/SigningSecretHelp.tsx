import { CodeBlock } from '../../components/CodeBlock';

const VERIFY_EXAMPLE = `import { Webhook } from 'standardwebhooks';

// rawBody: the request body exactly as received, before any JSON parsing.
const payload = new Webhook(secret).verify(rawBody, request.headers);`;

/** How a receiver checks that a request came from webhooker (Standard Webhooks). */
export function SigningSecretHelp() {
  return (
    <div className="space-y-3 text-sm text-slate-600">
      <p>
        Every request carries the{' '}
        <a
          href="https://www.standardwebhooks.com/"
          target="_blank"
          rel="noreferrer"
          className="font-medium text-primary-600 hover:text-primary-700"
        >
          Standard Webhooks
        </a>{' '}
        headers <code className="font-mono text-xs text-slate-900">webhook-id</code>,{' '}
        <code className="font-mono text-xs text-slate-900">webhook-timestamp</code> and{' '}
        <code className="font-mono text-xs text-slate-900">webhook-signature</code>. The signature is{' '}
        <code className="font-mono text-xs text-slate-900">v1,</code> and the base64 HMAC-SHA256 of{' '}
        <code className="font-mono text-xs text-slate-900">id.timestamp.body</code>, keyed with the secret
        after <code className="font-mono text-xs text-slate-900">whsec_</code> (base64-decoded). Receivers
        check it and refuse old timestamps; any Standard Webhooks library does both:
      </p>
      <CodeBlock label="Verify in Node.js (npm standardwebhooks)" code={VERIFY_EXAMPLE} />
    </div>
  );
}
