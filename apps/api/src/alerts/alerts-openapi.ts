import type { OpenAPIObject } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import type { OperationalEventType } from '../common/operational-events';

const TARGET_ID: SchemaObject = { type: 'string', format: 'uuid', description: 'The target it concerns' };
const FOLDED: Record<string, SchemaObject> = {
  count: {
    type: 'integer',
    minimum: 1,
    description:
      'How many occurrences this alert folds (at most one alert per subject per ALERT_INTERVAL_MS)',
  },
  firstOccurredAt: {
    type: 'string',
    format: 'date-time',
    description: 'The first folded occurrence (`occurredAt` is the last one, whose facts are given)',
  },
};

/** Each operational event type: what it means, its schema name, and its `data`. */
const ALERTS: Record<OperationalEventType, { name: string; summary: string; data: SchemaObject }> = {
  'target.disabled': {
    name: 'TargetDisabledAlert',
    summary: 'webhooker deactivated a target (it answered 410 Gone, or failed every attempt too long)',
    data: {
      type: 'object',
      required: ['targetId', 'reason'],
      properties: {
        targetId: TARGET_ID,
        reason: { type: 'string', example: 'the receiver answered 410 Gone' },
      },
    },
  },
  'target.circuit_opened': {
    name: 'TargetCircuitOpenedAlert',
    summary: "A target's circuit opened: no attempts until the cooldown ends, then one probe",
    data: {
      type: 'object',
      required: ['targetId', 'consecutiveFailures', 'circuitOpenUntil'],
      properties: {
        targetId: TARGET_ID,
        consecutiveFailures: { type: 'integer', example: 5 },
        circuitOpenUntil: { type: 'string', format: 'date-time' },
      },
    },
  },
  'target.circuit_closed': {
    name: 'TargetCircuitClosedAlert',
    summary: "A target's circuit closed: a probe succeeded, deliveries flow again",
    data: {
      type: 'object',
      required: ['targetId', 'consecutiveFailures', 'circuitOpenUntil'],
      properties: {
        targetId: TARGET_ID,
        consecutiveFailures: { type: 'integer', example: 0 },
        circuitOpenUntil: { type: 'string', format: 'date-time', nullable: true },
      },
    },
  },
  'delivery.failed': {
    name: 'DeliveryFailedAlert',
    summary:
      'Deliveries to a target failed for good (retries exhausted): folded, one alert per target per interval',
    data: {
      type: 'object',
      required: [
        'targetId',
        'deliveryId',
        'eventId',
        'attempts',
        'lastStatusCode',
        'lastError',
        'count',
        'firstOccurredAt',
      ],
      properties: {
        targetId: TARGET_ID,
        deliveryId: { type: 'string', format: 'uuid', description: 'The last failed delivery' },
        eventId: { type: 'string', format: 'uuid' },
        attempts: { type: 'integer', example: 25 },
        lastStatusCode: { type: 'integer', nullable: true, example: 503 },
        lastError: { type: 'string', nullable: true, example: 'HTTP 503' },
        ...FOLDED,
      },
    },
  },
  'webhook.backlog_high': {
    name: 'WebhookBacklogHighAlert',
    summary:
      "A webhook's waiting deliveries reached BACKLOG_ALERT_THRESHOLD (told again only after they fell below half)",
    data: {
      type: 'object',
      required: ['waiting', 'threshold'],
      properties: {
        waiting: { type: 'integer', example: 1250, description: 'Pending and retrying deliveries' },
        threshold: { type: 'integer', example: 1000 },
      },
    },
  },
  'entrypoint.verification_failed': {
    name: 'EntrypointVerificationFailedAlert',
    summary:
      'Requests to an entrypoint failed inbound verification: folded, one alert per entrypoint per interval',
    data: {
      type: 'object',
      required: ['entrypointId', 'count', 'firstOccurredAt'],
      properties: { entrypointId: { type: 'string', format: 'uuid' }, ...FOLDED },
    },
  },
};

function payloadSchema(type: OperationalEventType, data: SchemaObject): SchemaObject {
  return {
    type: 'object',
    required: ['type', 'occurredAt', 'webhookId', 'data'],
    properties: {
      type: { type: 'string', enum: [type] },
      occurredAt: { type: 'string', format: 'date-time' },
      webhookId: { type: 'string', format: 'uuid', description: 'The webhook it concerns' },
      data,
    },
  };
}

/**
 * Documents the operational events an alert subscription receives, so receivers can generate
 * types: one schema per type, and one `x-webhooks` entry each (OpenAPI 3.0's form of 3.1's
 * `webhooks`, which Redoc and Redocly read).
 */
export function addAlertWebhooks(document: OpenAPIObject): void {
  const webhooks: Record<string, unknown> = {};
  for (const [type, alert] of Object.entries(ALERTS) as [
    OperationalEventType,
    (typeof ALERTS)[OperationalEventType],
  ][]) {
    document.components!.schemas![alert.name] = payloadSchema(type, alert.data);
    webhooks[type] = {
      post: {
        operationId: `alert_${type.replace('.', '_')}`,
        tags: ['alerts'],
        summary: alert.summary,
        description:
          'POSTed as JSON to each `http` alert subscription that wants this type, signed with its ' +
          '`whsec_…` secret (Standard Webhooks headers `webhook-id`, `webhook-timestamp`, `webhook-signature`) ' +
          'and retried like any delivery; a `log` subscription writes it as one log line.',
        security: [],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: `#/components/schemas/${alert.name}` } } },
        },
        responses: { '200': { description: 'Any 2xx answer: received' } },
      },
    };
  }
  (document as OpenAPIObject & { 'x-webhooks': unknown })['x-webhooks'] = webhooks;
}
