import { createHmac } from 'node:crypto';
import type { SigningSecret } from '../targets/target.entity';

/**
 * The `webhook-signature` header of Standard Webhooks v1: one `v1,<base64 HMAC-SHA256>` per
 * secret, separated by spaces, over `<webhook-id>.<webhook-timestamp>.<body>`.
 */
export function signatureHeader(
  secrets: SigningSecret[],
  messageId: string,
  timestamp: number,
  body: Buffer,
): string {
  return secrets
    .map((secret) => {
      const key = Buffer.from(secret.secret.replace(/^whsec_/, ''), 'base64');
      const hmac = createHmac('sha256', key)
        .update(`${messageId}.${timestamp}.`)
        .update(body)
        .digest('base64');
      return `v1,${hmac}`;
    })
    .join(' ');
}
