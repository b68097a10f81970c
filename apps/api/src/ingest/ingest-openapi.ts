import type { OpenAPIObject } from '@nestjs/swagger';
import type { OperationObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

function ingestOperation(method: string): OperationObject {
  return {
    operationId: `ingest${method}`,
    tags: ['ingest'],
    summary: `Send a webhook (${method.toUpperCase()})`,
    description:
      'The entrypoint URL given to senders. Any body (JSON, form, XML, binary) up to MAX_EVENT_BYTES is stored ' +
      'byte for byte with the method, path, query, headers, content type and source address; the 200 answer ' +
      'comes only after the event and one delivery per active target are committed. No API authentication; ' +
      'an entrypoint with inbound verification checks the token, Basic credentials or signature first.',
    security: [],
    parameters: [
      { name: 'entrypointId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
    ],
    requestBody: {
      required: false,
      content: { '*/*': { schema: { type: 'string', format: 'binary' } } },
    },
    responses: {
      '200': {
        description: 'Stored; deliveries start now',
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['status', 'eventId'],
              properties: {
                status: { type: 'string', enum: ['ok'] },
                eventId: { type: 'string', format: 'uuid' },
              },
            },
          },
        },
      },
      '401': {
        description:
          'The entrypoint verifies its senders and this request failed verification (nothing was stored; the ' +
          "entrypoint's owner sees why in GET /api/v1/entrypoints/{id}/rejections)",
      },
      '404': { description: 'No such entrypoint' },
      '405': { description: 'Only POST, PUT and PATCH are accepted' },
      '410': { description: 'The entrypoint is inactive, or it or its webhook was deleted' },
      '408': { description: 'The request did not arrive within HTTP_REQUEST_TIMEOUT_MS' },
      '413': { description: 'The body is larger than MAX_EVENT_BYTES' },
      '431': { description: 'More than 100 headers, or more than 8 KiB of header names and values' },
      '503': {
        description:
          'The event could not be stored, or too many events are being received at once, in all or ' +
          "for the webhook's owner (ingest backpressure, with Retry-After); retry",
        headers: {
          'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } },
        },
      },
    },
  };
}

/** Documents `/webhook/{entrypointId}`, which is served by IngestHandler in front of Nest. */
export function addIngestPath(document: OpenAPIObject): void {
  document.paths['/webhook/{entrypointId}'] = {
    post: ingestOperation('Post'),
    put: ingestOperation('Put'),
    patch: ingestOperation('Patch'),
  };
}
