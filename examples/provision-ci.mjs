#!/usr/bin/env node
/* global process, fetch, console */
/**
 * Provisions webhooker from a CI pipeline: a webhook "orders" with an http target (to
 * ORDERS_TARGET_URL) and a log target, then prints the webhook's entrypoint URL on stdout.
 *
 * Call it from any CI step with Node 20+ (no dependencies):
 *
 *   WEBHOOKER_URL=https://hooks.example.com \
 *   WEBHOOKER_API_KEY=whk_…            # a CI secret: create the key under API keys in the dashboard
 *   ORDERS_TARGET_URL=https://billing.example.com/hooks/orders \
 *   ENTRYPOINT_URL=$(node examples/provision-ci.mjs)
 *
 * Safe to re-run: every create call sends a fixed Idempotency-Key, so a second run gets the first
 * run's answers back (webhooker remembers a key for 24 hours, per user) instead of creating
 * duplicates. Progress goes to stderr; on any error it exits 1 with the API's `detail`.
 */

const KEY_PREFIX = 'provision-ci/orders';

function requiredEnv(name) {
  const value = process.env[name];
  if (!value) fail(`${name} is not set`);
  return value;
}

function fail(message) {
  console.error(`provision-ci: ${message}`);
  process.exit(1);
}

const baseUrl = requiredEnv('WEBHOOKER_URL').replace(/\/+$/, '');
const apiKey = requiredEnv('WEBHOOKER_API_KEY');
const targetUrl = requiredEnv('ORDERS_TARGET_URL');

/** POSTs `body` with an Idempotency-Key; returns the parsed response, or exits with the API's detail. */
async function create(what, path, body, idempotencyKey) {
  let response;
  try {
    response = await fetch(`${baseUrl}/api/v1${path}`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${apiKey}`,
        'Content-Type': 'application/json',
        'Idempotency-Key': `${KEY_PREFIX}/${idempotencyKey}`,
      },
      body: JSON.stringify(body),
    });
  } catch (error) {
    fail(`creating ${what} failed: ${error.cause?.message ?? error.message}`);
  }
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const fields = (json?.errors ?? []).map((error) => `\n  ${error.field}: ${error.message}`).join('');
    fail(`creating ${what} failed (HTTP ${response.status}): ${json?.detail ?? text}${fields}`);
  }
  const replayed = response.headers.get('idempotent-replayed') === 'true';
  console.error(`${replayed ? 'already there' : 'created'}: ${what} ${json.id}`);
  return json;
}

const webhook = await create(
  'webhook "orders"',
  '/webhooks',
  { name: 'orders', description: 'Order events, provisioned by CI' },
  'webhook',
);
await create(
  'http target "billing"',
  `/webhooks/${webhook.id}/targets`,
  { name: 'billing', type: 'http', http: { url: targetUrl } },
  'target-billing',
);
await create(
  'log target "audit log"',
  `/webhooks/${webhook.id}/targets`,
  { name: 'audit log', type: 'log' },
  'target-log',
);

console.log(webhook.entrypoints[0].url);
