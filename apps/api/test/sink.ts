import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  receivedAt: number;
}

export interface SinkReply {
  status: number;
  delayMs?: number;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * A receiver on 127.0.0.1 that records every request and answers as `reply` says (it may be
 * changed while the test runs).
 */
export class Sink {
  readonly requests: ReceivedRequest[] = [];
  /** Called with the 1-based number of the request; default 200. */
  reply: (n: number, request: ReceivedRequest) => SinkReply = () => ({ status: 200 });
  private server?: Server;
  url = '';

  /** Listens on `port` (a free one by default). */
  static async start(port = 0): Promise<Sink> {
    const sink = new Sink();
    sink.server = createServer((request, response) => sink.handle(request, response));
    sink.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => sink.server!.listen(port, '127.0.0.1', resolve));
    const address = sink.server.address() as { port: number };
    sink.url = `http://127.0.0.1:${address.port}`;
    return sink;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const received: ReceivedRequest = {
        method: request.method!,
        url: request.url!,
        headers: request.headers,
        body: Buffer.concat(chunks),
        receivedAt: Date.now(),
      };
      this.requests.push(received);
      const reply = this.reply(this.requests.length, received);
      const send = () => {
        if (response.destroyed) return;
        response.writeHead(reply.status, reply.headers);
        response.end(reply.body ?? '');
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  }
}

/** Polls `check` until it returns a truthy value (at most `timeoutMs`). */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<Exclude<T, false | null | undefined>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Exclude<T, false | null | undefined>;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
