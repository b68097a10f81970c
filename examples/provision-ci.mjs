#!/usr/bin/env node
/* global process, fetch, console */
/**
 * Provisions webhooker from a CI pipeline: a webhook "orders" with an entrypoint, an http target
 * (to ORDERS_TARGET_URL) and a log target, then prints the entrypoint's URL on stdout.
 *
 * Call it from any CI step with Node 20+ (no dependencies):
 *
 *   WEBHOOKER_URL=https://hooks.example.com \
 *   WEBHOOKER_API_KEY=whk_…            # a CI secret: create the key under API keys in the dashboard
 *   ORDERS_TARGET_URL=https://billing.example.com/hooks/orders \
 *   ENTRYPOINT_URL=$(node examples/provision-ci.mjs)
 *
 * Declarative: it sends the desired configuration to `POST /api/v1/config/apply`, which makes
 * exactly the changes needed, in one transaction, so any re-run converges (a changed URL is
 * updated, nothing is duplicated). Your other webhooks are left alone (no `prune`). Progress goes
 * to stderr; on any error it exits 1 with the API's `detail`. For a file-based setup with a plan
 * step, see examples/webhooker.yaml and the CLI (apps/cli/webhooker.mjs).
 */

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

const document = {
  version: 1,
  webhooks: [
    {
      key: 'orders',
      name: 'orders',
      description: 'Order events, provisioned by CI',
      entrypoints: [{ key: 'default' }],
      targets: [
        { key: 'billing', name: 'billing', type: 'http', http: { url: targetUrl } },
        { key: 'audit-log', name: 'audit log', type: 'log' },
      ],
    },
  ],
};

let response;
try {
  response = await fetch(`${baseUrl}/api/v1/config/apply`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(document),
  });
} catch (error) {
  fail(`applying the configuration failed: ${error.cause?.message ?? error.message}`);
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
  fail(`applying the configuration failed (HTTP ${response.status}): ${json?.detail ?? text}${fields}`);
}
for (const change of json.changes) {
  const address = change.kind === 'webhook' ? change.key : `${change.webhook}/${change.key}`;
  console.error(`${change.action}: ${change.kind} ${address}`);
}
if (json.changes.length === 0) console.error('nothing to change');
console.log(
  json.entrypoints.find((entrypoint) => entrypoint.webhook === 'orders' && entrypoint.key === 'default').url,
);
