import { Inject, Injectable, Logger } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { APP_CONFIG, AppConfig } from '../config/config';
import { CapturedRequest, EventRefusedError, IngestService } from './ingest.service';
import { RouteCache } from './route-cache';
import { PROBLEM_TYPE_BASE, UUID_PATTERN } from '../common/http';
import { clientAddress, PROXY_TRUST, ProxyTrust } from '../common/proxy-trust';
import { storableText } from '../common/storable-text';
import { captureHeaders } from './captured-headers';
import { MetricsService } from '../metrics/metrics.service';
import { BudgetRefusal, IngestBudget } from './ingest-budget';
import { RejectionRecorder } from '../entrypoints/rejection-recorder';

const INGEST_PATH = /^\/webhook\/([^/?]+)\/?(?:\?|$)/;
const ACCEPTED_METHODS = new Set(['POST', 'PUT', 'PATCH']);
/** Seconds a sender refused by backpressure is asked to wait. */
const RETRY_AFTER_SECONDS = 1;
/** The whole answer to a request that fails inbound verification: nothing that helps a forger. */
const VERIFICATION_FAILED = 'Signature verification failed';
/** Backpressure is logged at most this often, with the number of events refused meanwhile. */
const BUSY_LOG_INTERVAL_MS = 10_000;

/** Marks the answer to a duplicate: its eventId is the first event's, and nothing was stored. */
const DUPLICATE_HEADER = 'webhooker-duplicate';

/** X-Forwarded-For, every occurrence in order. */
function forwardedFor(request: IncomingMessage): string | undefined {
  const value = request.headers['x-forwarded-for'];
  return Array.isArray(value) ? value.join(',') : value;
}

/** The sender went away before its body was read (aborted upload or request timeout). */
class SenderGone extends Error {}

function problem(
  response: ServerResponse,
  status: number,
  title: string,
  detail: string,
  extraHeaders: Record<string, string | number> = {},
): void {
  const body = JSON.stringify({
    type: `${PROBLEM_TYPE_BASE}${title.toLowerCase().replace(/ /g, '-')}`,
    title,
    status,
    detail,
  });
  response.writeHead(status, {
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
    ...(status === 405 ? { allow: 'POST, PUT, PATCH' } : {}),
    ...extraHeaders,
  });
  response.end(body);
}

/** Answers before the body is read, then drops the connection: the rest of the body is not wanted. */
function refuseBody(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  title: string,
  detail: string,
  extraHeaders: Record<string, string | number> = {},
): void {
  problem(response, status, title, detail, { ...extraHeaders, connection: 'close' });
  response.once('finish', () => request.destroy());
}

/**
 * The entrypoint URLs, `POST|PUT|PATCH /webhook/{entrypointId}`, served straight from node:http in
 * front of the Nest/Express stack: the hot path reads its configuration from memory, captures the
 * body byte for byte and answers 200 only once the event is committed. Every event held in memory
 * counts against the ingest budget (backpressure).
 */
@Injectable()
export class IngestHandler {
  private readonly logger = new Logger(IngestHandler.name);
  private readonly budget: IngestBudget;
  private busy = { refused: 0, loggedAt: -Infinity };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PROXY_TRUST) private readonly proxyTrust: ProxyTrust,
    private readonly routes: RouteCache,
    private readonly ingest: IngestService,
    private readonly rejections: RejectionRecorder,
    private readonly metrics: MetricsService,
  ) {
    this.budget = new IngestBudget(config.ingestMaxPendingEvents, config.ingestMaxPendingBytes);
  }

  /** Handles the request when it is for an entrypoint; returns false to pass it on. */
  handle(request: IncomingMessage, response: ServerResponse): boolean {
    const match = INGEST_PATH.exec(request.url ?? '');
    if (!match) return false;
    this.serve(match[1]!, request, response).catch((error) => {
      if (error instanceof SenderGone) {
        this.logger.debug(`Sender of ${request.url} went away before its body was read: ${error.message}`);
        return;
      }
      this.logger.error(
        error instanceof EventRefusedError
          ? error.message
          : `Ingest failed: ${error instanceof Error ? error.stack : error}`,
      );
      if (!response.headersSent)
        problem(response, 503, 'Service Unavailable', 'The event could not be stored; retry');
    });
    return true;
  }

  private async serve(
    entrypointId: string,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    const receivedAt = new Date();
    const method = request.method ?? 'GET';
    if (!ACCEPTED_METHODS.has(method)) {
      request.resume();
      return problem(
        response,
        405,
        'Method Not Allowed',
        `${method} is not accepted; send POST, PUT or PATCH`,
      );
    }
    const route = UUID_PATTERN.test(entrypointId) ? await this.routes.get(entrypointId.toLowerCase()) : null;
    if (!route) {
      request.resume();
      return problem(response, 404, 'Not Found', `No entrypoint ${entrypointId}`);
    }
    if (route.state !== 'active') {
      request.resume();
      const why = route.state === 'gone' ? 'has been deleted' : 'is not active';
      return problem(response, 410, 'Gone', `Entrypoint ${entrypointId} ${why}`);
    }
    const headers = captureHeaders(request.rawHeaders, request.headers);
    if ('refused' in headers) {
      return refuseBody(request, response, 431, 'Request Header Fields Too Large', headers.refused);
    }
    const limit = this.config.maxEventBytes;
    const announced = Number(request.headers['content-length'] ?? 0) || 0;
    if (announced > limit) {
      return refuseBody(
        request,
        response,
        413,
        'Payload Too Large',
        `The body is larger than ${limit} bytes (MAX_EVENT_BYTES)`,
      );
    }
    const owner = route.ownerId;
    const refusal = this.budget.admit(owner, announced);
    if (refusal) return this.refuseBusy(request, response, owner, refusal);
    let held = announced;
    try {
      const body = await this.readBody(request, response, owner, announced, (bytes) => (held += bytes));
      if (!body) return;
      const url = request.url!;
      const queryStart = url.indexOf('?');
      const query = queryStart === -1 ? '' : url.slice(queryStart + 1);
      const sourceIp = clientAddress(request.socket.remoteAddress, forwardedFor(request), this.proxyTrust);
      const rejection = route.verifier?.verify({ headers: headers.headers, query, body });
      if (rejection) {
        this.rejections.record(route.entrypointId, route.webhookId, rejection, {
          at: receivedAt,
          sourceIp,
          headers: route.verifier!.redact(headers.headers),
        });
        return problem(response, 401, 'Unauthorized', VERIFICATION_FAILED);
      }
      const captured: CapturedRequest = {
        method,
        path: storableText(queryStart === -1 ? url : url.slice(0, queryStart)),
        query: storableText(query),
        headers: headers.headers,
        body,
        sourceIp,
        receivedAt,
      };
      const { eventId, duplicate } = await this.ingest.ingest(route, captured);
      const answer = `{"status":"ok","eventId":"${eventId}"}`;
      response.writeHead(200, {
        'content-type': 'application/json',
        'content-length': answer.length,
        ...(duplicate ? { [DUPLICATE_HEADER]: 'true' } : {}),
      });
      response.end(answer);
    } finally {
      this.budget.release(owner, held);
    }
  }

  /**
   * 503 with Retry-After: the process holds as many events or bytes as it may, or the owner of
   * the entrypoint's webhook holds its share of them.
   */
  private refuseBusy(
    request: IncomingMessage,
    response: ServerResponse,
    owner: string,
    refusal: BudgetRefusal,
  ): void {
    this.metrics.ingestBusy.inc({ bound: refusal });
    this.busy.refused++;
    if (Date.now() - this.busy.loggedAt >= BUSY_LOG_INTERVAL_MS) {
      const held = this.budget.held;
      const byOwner = this.budget.heldBy(owner);
      this.logger.warn(
        `Ingest backpressure: ${this.busy.refused} event(s) refused with 503, the last one ` +
          (refusal === 'owner' ? `over the share of its webhook's owner ${owner}` : 'over the totals') +
          ` (${held.events} events and ${held.bytes} bytes held by ${held.owners} owner(s), ` +
          `${byOwner.events} and ${byOwner.bytes} by ${owner}; INGEST_MAX_PENDING_EVENTS, INGEST_MAX_PENDING_BYTES)`,
      );
      this.busy = { refused: 0, loggedAt: Date.now() };
    }
    refuseBody(
      request,
      response,
      503,
      'Service Unavailable',
      refusal === 'owner'
        ? "Too many events of this webhook's owner are being received at once (ingest backpressure, shared fairly among owners); retry after the delay in Retry-After"
        : 'Too many events are being received at once (ingest backpressure); retry after the delay in Retry-After',
      { 'retry-after': RETRY_AFTER_SECONDS },
    );
  }

  /**
   * The body, or null after answering 413 (larger than MAX_EVENT_BYTES) or 503 (over the ingest
   * budget). Bytes beyond the announced length are taken from the budget as they arrive and
   * reported to `took`. Rejects with SenderGone when the sender goes away first.
   */
  private readBody(
    request: IncomingMessage,
    response: ServerResponse,
    owner: string,
    announced: number,
    took: (bytes: number) => void,
  ): Promise<Buffer | null> {
    const limit = this.config.maxEventBytes;
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const stop = (refuse: () => void) => {
        request.removeAllListeners('data');
        request.pause();
        refuse();
        resolve(null);
      };
      request.on('data', (chunk: Buffer) => {
        const unannounced = Math.min(chunk.length, size + chunk.length - announced);
        size += chunk.length;
        if (size > limit) {
          return stop(() =>
            refuseBody(
              request,
              response,
              413,
              'Payload Too Large',
              `The body is larger than ${limit} bytes (MAX_EVENT_BYTES)`,
            ),
          );
        }
        if (unannounced > 0) {
          const refusal = this.budget.grow(owner, unannounced);
          if (refusal) return stop(() => this.refuseBusy(request, response, owner, refusal));
          took(unannounced);
        }
        chunks.push(chunk);
      });
      request.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
      request.on('error', (error) => reject(new SenderGone(error.message)));
      request.on('close', () => {
        if (!request.complete) reject(new SenderGone('the connection closed'));
      });
      // gone while the route was looked up: 'close' has been and will not come again, and the
      // request would wait forever, holding its place in the ingest budget
      if (request.destroyed && !request.complete) reject(new SenderGone('the connection closed'));
    });
  }
}
