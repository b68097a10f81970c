import { Inject, Injectable, Logger } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { APP_CONFIG, AppConfig } from '../config/config';
import { CapturedRequest, IngestService } from './ingest.service';
import { RouteCache } from './route-cache';
import { PROBLEM_TYPE_BASE, UUID_PATTERN } from '../common/http';

const INGEST_PATH = /^\/webhook\/([^/?]+)\/?(?:\?|$)/;
const ACCEPTED_METHODS = new Set(['POST', 'PUT', 'PATCH']);

function problem(
  response: ServerResponse,
  status: number,
  title: string,
  detail: string,
  close = false,
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
    ...(close ? { connection: 'close' } : {}),
  });
  response.end(body);
}

/**
 * The entrypoint URLs, `POST|PUT|PATCH /webhook/{entrypointId}`, served straight from node:http in
 * front of the Nest/Express stack: the hot path reads its configuration from memory, captures the
 * body byte for byte and answers 200 only once the event is committed.
 */
@Injectable()
export class IngestHandler {
  private readonly logger = new Logger(IngestHandler.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly routes: RouteCache,
    private readonly ingest: IngestService,
  ) {}

  /** Handles the request when it is for an entrypoint; returns false to pass it on. */
  handle(request: IncomingMessage, response: ServerResponse): boolean {
    const match = INGEST_PATH.exec(request.url ?? '');
    if (!match) return false;
    this.serve(match[1]!, request, response).catch((error) => {
      this.logger.error(`Ingest failed: ${error instanceof Error ? error.stack : error}`);
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
    const body = await this.readBody(request, response);
    if (!body) return;
    const url = request.url!;
    const queryStart = url.indexOf('?');
    const captured: CapturedRequest = {
      method,
      path: queryStart === -1 ? url : url.slice(0, queryStart),
      query: queryStart === -1 ? '' : url.slice(queryStart + 1),
      headers: this.headers(request),
      body,
      sourceIp: this.sourceIp(request),
      receivedAt,
    };
    const eventId = await this.ingest.ingest(route, captured);
    const answer = `{"status":"ok","eventId":"${eventId}"}`;
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length });
    response.end(answer);
  }

  /** The body, or null after answering 413 when it is larger than MAX_EVENT_BYTES. */
  private readBody(request: IncomingMessage, response: ServerResponse): Promise<Buffer | null> {
    const limit = this.config.maxEventBytes;
    const tooLarge = () => {
      problem(
        response,
        413,
        'Payload Too Large',
        `The body is larger than ${limit} bytes (MAX_EVENT_BYTES)`,
        true,
      );
      response.once('finish', () => request.destroy());
    };
    if (Number(request.headers['content-length']) > limit) {
      tooLarge();
      return Promise.resolve(null);
    }
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      request.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          request.removeAllListeners('data');
          request.pause();
          tooLarge();
          resolve(null);
          return;
        }
        chunks.push(chunk);
      });
      request.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
      request.on('error', reject);
    });
  }

  private headers(request: IncomingMessage): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    return headers;
  }

  private sourceIp(request: IncomingMessage): string | null {
    const forwarded = request.headers['x-forwarded-for'];
    const client = typeof forwarded === 'string' ? forwarded.split(',')[0]!.trim() : '';
    if (this.config.trustProxy && isIP(client)) return client;
    return request.socket.remoteAddress ?? null;
  }
}
