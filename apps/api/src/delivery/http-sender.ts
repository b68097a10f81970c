import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, Dispatcher, errors } from 'undici';
import type { TransformedRequest } from '../routing/transform-sandbox';
import { isLive } from '../targets/signing-secrets';
import { HostResolver } from '../targets/host-resolver';
import { SsrfGuard } from '../targets/ssrf-guard';
import type { EventSnapshot, TargetSnapshot } from './delivery-task';
import { LOOP_HEADER, LoopGuard } from './loop-guard';
import { signatureHeader } from './signature';

/** Response bodies are kept up to this many bytes in the attempt history. */
export const RESPONSE_EXCERPT_BYTES = 4096;
/** A response body up to this size is read to the end so the connection can be reused. */
const DRAIN_LIMIT_BYTES = 64 * 1024;
/** Connections open at once to one origin; further requests wait for one (within their deadline). */
export const CONNECTIONS_PER_ORIGIN = 256;

/** The headers send() sets on every attempt, over any of the same name in the outbound request. */
const SENDER_HEADERS = new Set([LOOP_HEADER, 'webhook-id', 'webhook-timestamp', 'webhook-signature']);

/**
 * Headers of the original request that are not forwarded: hop-by-hop ones, those webhooker sets,
 * and `accept-encoding` (the answer is for webhooker's attempt history, not for the sender).
 */
const DROPPED_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'content-type',
  'expect',
  'accept-encoding',
  ...SENDER_HEADERS,
]);

export interface AttemptOutcome {
  ok: boolean;
  statusCode: number | null;
  responseExcerpt: string | null;
  error: string | null;
  retryAfter?: string;
  /** The receiver answered 410 Gone: the target is to be disabled. */
  gone?: boolean;
}

/** What is sent to an `http` target before webhooker adds its own headers (webhook-*, loop guard). */
export interface OutboundRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** The captured request an outbound one is made from. */
export type OutboundSource = Pick<EventSnapshot, 'headers' | 'contentType'>;

/**
 * The request sent to an `http` target: the event's body, content type and headers (without the
 * dropped ones), the target's headers over them, to the target's URL with its method. A
 * transform's result replaces the headers and (when it changed them) the body, method, and adds
 * its path and query to the URL; the target's own headers still apply over it.
 */
export function outboundRequest(
  target: TargetSnapshot,
  event: OutboundSource,
  body: Buffer,
  transformed?: TransformedRequest,
): OutboundRequest {
  const config = target.http!;
  const url = new URL(config.url);
  let received = event.headers;
  let contentType = event.contentType;
  let sent = body;
  let method: string = config.method;
  if (transformed) {
    received = transformed.headers;
    if (transformed.method) method = transformed.method;
    if (transformed.path) {
      url.pathname = `${url.pathname.replace(/\/+$/, '')}/${transformed.path.replace(/^\/+/, '')}`;
    }
    for (const [name, value] of transformed.query ?? []) url.searchParams.append(name, value);
    contentType = transformed.headers['content-type'] ?? null;
    if (transformed.body !== null) {
      sent = Buffer.from(transformed.body);
      if (transformed.bodyIsJson && !/json/i.test(contentType ?? '')) contentType = 'application/json';
    }
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(received)) {
    if (!DROPPED_HEADERS.has(name)) headers[name] = value;
  }
  for (const [name, value] of Object.entries(config.headers)) headers[name.toLowerCase()] = value;
  if (contentType) headers['content-type'] = contentType;
  return { url, method, headers, body: sent };
}

class BlockedAddressError extends Error {}

function describe(error: unknown): string {
  if (error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError)
    return 'timed out';
  if ((error as Error)?.name === 'TimeoutError' || (error as Error)?.name === 'AbortError')
    return 'timed out';
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = (error as { code?: string }).code ?? cause?.code;
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

/**
 * One attempt's exchange with the receiver, on undici's dispatch API: the answer's status, its
 * Retry-After and the first bytes of its body are taken as they arrive (no response stream, no
 * AbortSignal: both cost more than the rest of a send). The attempt ends at its deadline, or when
 * stopped, whatever stage it is in: with the answer so far once its headers came, as an error
 * before. A request still waiting for its connection is dropped as soon as it gets one.
 */
class Exchange implements Dispatcher.DispatchHandler {
  readonly outcome: Promise<AttemptOutcome>;
  private resolve!: (outcome: AttemptOutcome) => void;
  private readonly deadline: NodeJS.Timeout;
  private controller?: Dispatcher.DispatchController;
  private statusCode?: number;
  private retryAfter?: string;
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private ended = false;
  /** Why the attempt was stopped before its request ended. */
  private stopped?: Error;

  constructor(timeoutMs: number) {
    this.outcome = new Promise((resolve) => (this.resolve = resolve));
    this.deadline = setTimeout(() => this.stop(new DOMException('timed out', 'TimeoutError')), timeoutMs);
  }

  /** Ends the attempt now and drops its request. */
  stop(reason: Error): void {
    if (this.ended) return;
    this.stopped = reason;
    this.end(reason);
    this.controller?.abort(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.stopped) controller.abort(this.stopped);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode < 200) return;
    this.statusCode = statusCode;
    const retryAfter = headers['retry-after'];
    this.retryAfter = typeof retryAfter === 'string' ? retryAfter : undefined;
  }

  /** The first 4 KiB are kept; the rest is read (up to 64 KiB, so the connection can be reused) or the connection dropped. */
  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.size < RESPONSE_EXCERPT_BYTES) this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size > DRAIN_LIMIT_BYTES) {
      this.end(null);
      controller.abort(new Error('response body beyond the drain limit'));
    }
  }

  onResponseEnd(): void {
    this.end(null);
  }

  /** Before the headers, the attempt failed; after them, the body was cut short (the excerpt is best effort). */
  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.end(error);
  }

  private end(error: Error | null): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.deadline);
    const statusCode = this.statusCode;
    if (statusCode === undefined) {
      this.resolve({ ok: false, statusCode: null, responseExcerpt: null, error: describe(error) });
      return;
    }
    const ok = statusCode >= 200 && statusCode < 300;
    this.resolve({
      ok,
      statusCode,
      responseExcerpt:
        this.size === 0
          ? null
          : Buffer.concat(this.chunks).subarray(0, RESPONSE_EXCERPT_BYTES).toString('utf8'),
      error: ok
        ? null
        : statusCode >= 300 && statusCode < 400
          ? `redirect (${statusCode}) not followed`
          : `HTTP ${statusCode}`,
      retryAfter: this.retryAfter,
      gone: statusCode === 410,
    });
  }
}

/**
 * Sends events to `http` targets with undici: no redirects, a timeout per attempt, the original
 * body and content type, and the Standard Webhooks headers. Every connection goes to an address
 * the SSRF guard checked after resolving the host.
 */
@Injectable()
export class HttpSender implements OnApplicationShutdown {
  private readonly agent: Agent;
  /** Attempts in flight, for interrupt(). */
  private readonly exchanges = new Set<Exchange>();
  /** Set by interrupt(): attempts that reach the sender afterwards end at once, unsent. */
  private interruptedBy?: Error;

  constructor(
    private readonly ssrfGuard: SsrfGuard,
    private readonly resolver: HostResolver,
    private readonly loopGuard: LoopGuard,
  ) {
    this.agent = new Agent({
      keepAliveTimeout: 10_000,
      connections: CONNECTIONS_PER_ORIGIN,
      connect: { lookup: this.checkedLookup },
    });
  }

  /** After the engine's graceful shutdown (beforeApplicationShutdown) let attempts finish. */
  async onApplicationShutdown(): Promise<void> {
    await this.agent.close();
  }

  /** One attempt of `request` (see outboundRequest), ended by the target's timeout or interrupt(). */
  async send(target: TargetSnapshot, eventId: string, request: OutboundRequest): Promise<AttemptOutcome> {
    if (this.interruptedBy)
      return { ok: false, statusCode: null, responseExcerpt: null, error: this.interruptedBy.message };
    const config = target.http!;
    const { url, body } = request;
    const literal = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (isIP(literal)) {
      const check = this.ssrfGuard.checkAddress(literal);
      if (!check.allowed) return { ok: false, statusCode: null, responseExcerpt: null, error: check.reason };
    }
    const timestamp = Math.floor(Date.now() / 1000);
    // Name, value, name, value…: undici takes a flat list without an object to build per attempt.
    const headers: string[] = [];
    for (const name in request.headers) {
      if (!SENDER_HEADERS.has(name)) headers.push(name, request.headers[name]!);
    }
    headers.push(LOOP_HEADER, this.loopGuard.installationId, 'webhook-id', eventId);
    headers.push('webhook-timestamp', String(timestamp));
    const liveSecrets = target.signingSecrets.filter((secret) => isLive(secret));
    if (liveSecrets.length > 0)
      headers.push('webhook-signature', signatureHeader(liveSecrets, eventId, timestamp, body));

    const exchange = new Exchange(config.timeoutMs);
    this.exchanges.add(exchange);
    this.agent.dispatch(
      {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: request.method as Dispatcher.HttpMethod,
        headers,
        body,
        headersTimeout: config.timeoutMs,
        bodyTimeout: config.timeoutMs,
      },
      exchange,
    );
    try {
      return await exchange.outcome;
    } finally {
      this.exchanges.delete(exchange);
    }
  }

  /** Whether interrupt() was called (at shutdown, after the grace period). */
  get interrupted(): boolean {
    return this.interruptedBy !== undefined;
  }

  /**
   * Ends every attempt in flight now, and every later one before it is sent (at shutdown, once the
   * grace period is over: an attempt still reading its event or running its transform must not
   * start a request after its lease was handed back).
   */
  interrupt(reason: Error): void {
    this.interruptedBy = reason;
    for (const exchange of this.exchanges) exchange.stop(reason);
  }

  /**
   * The lookup of outgoing connections: resolves without the thread pool (HostResolver) and
   * refuses non-public addresses (unless allowed).
   */
  private readonly checkedLookup = (
    hostname: string,
    options: object,
    callback: (
      error: NodeJS.ErrnoException | null,
      address: string | LookupAddress[],
      family?: number,
    ) => void,
  ): void => {
    this.resolver.resolve(hostname).then(
      (addresses) => {
        for (const { address } of addresses) {
          const check = this.ssrfGuard.checkAddress(address);
          if (!check.allowed)
            return callback(new BlockedAddressError(`${hostname} resolves to ${check.reason}`), []);
        }
        if ((options as { all?: boolean }).all) return callback(null, addresses);
        callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, []),
    );
  };
}
