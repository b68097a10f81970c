import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';

/** One request a receiver got: the event it carried and which time it saw that event. */
export interface Hit {
  webhookId: string;
  /** 1 for the first request carrying this event, 2 for the second, … */
  attempt: number;
  /** 0-based: the how-manieth distinct event this receiver saw. */
  ordinal: number;
  receivedAt: number;
  /** Body bytes the receiver managed to write, and whether its whole answer went out. */
  bytesWritten: number;
  finished: boolean;
}

/** How a receiver answers (or fails to answer) one request. */
export type Behaviour = (response: ServerResponse, hit: Hit) => void;

/**
 * A real HTTP server on 127.0.0.1 that reads each request to the end, records its `webhook-id`
 * and then answers as `behaviour` says, however badly.
 */
export class MisbehavingReceiver {
  readonly hits: Hit[] = [];
  private readonly seen = new Map<string, number>();
  private server?: Server;
  url = '';

  private constructor(private readonly behaviour: Behaviour) {}

  static async start(behaviour: Behaviour): Promise<MisbehavingReceiver> {
    const receiver = new MisbehavingReceiver(behaviour);
    receiver.server = createServer((request, response) => receiver.handle(request, response));
    receiver.server.keepAliveTimeout = 30_000;
    receiver.server.on('connection', (socket) => socket.on('error', () => undefined));
    receiver.server.on('clientError', (_error, socket) => socket.destroy());
    await new Promise<void>((resolve) => receiver.server!.listen(0, '127.0.0.1', resolve));
    const { port } = receiver.server.address() as { port: number };
    receiver.url = `http://127.0.0.1:${port}`;
    return receiver;
  }

  /** Requests that carried this event. */
  received(webhookId: string): number {
    return this.seen.get(webhookId) ?? 0;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    response.on('error', () => undefined);
    request.resume();
    request.on('end', () => {
      const webhookId = String(request.headers['webhook-id']);
      const attempt = (this.seen.get(webhookId) ?? 0) + 1;
      this.seen.set(webhookId, attempt);
      const hit: Hit = {
        webhookId,
        attempt,
        ordinal: [...this.seen.keys()].indexOf(webhookId),
        receivedAt: Date.now(),
        bytesWritten: 0,
        finished: false,
      };
      this.hits.push(hit);
      this.behaviour(response, hit);
    });
  }
}

/** A well-formed answer whose body is `body`; `headers` as an object or as [name, value, …]. */
function answer(
  response: ServerResponse,
  hit: Hit,
  status: number,
  headers: Record<string, string> | string[],
  body: Buffer,
): void {
  const length = String(body.length);
  response.writeHead(
    status,
    Array.isArray(headers)
      ? [...headers, 'content-length', length]
      : { ...headers, 'content-length': length },
  );
  response.end(body, () => {
    hit.bytesWritten = body.length;
    hit.finished = true;
  });
}

/** Writes `chunk` until `total` bytes went out (Infinity: forever) or the peer goes away. */
function stream(response: ServerResponse, hit: Hit, chunk: Buffer, total: number, intervalMs = 0): void {
  const write = (): void => {
    while (!response.destroyed && hit.bytesWritten < total) {
      const piece = chunk.subarray(0, Math.min(chunk.length, total - hit.bytesWritten));
      hit.bytesWritten += piece.length;
      if (intervalMs > 0) {
        response.write(piece);
        setTimeout(write, intervalMs);
        return;
      }
      if (!response.write(piece)) {
        response.once('drain', write);
        return;
      }
    }
    if (!response.destroyed) response.end(() => (hit.finished = true));
  };
  write();
}

/**
 * Answers with NUL bytes in the body (`a\0b`), as text/plain. The first attempt of every fourth
 * event gets a 500 (still with NUL bytes), so the retry path meets them too.
 */
export const nulBytes: Behaviour = (response, hit) =>
  answer(
    response,
    hit,
    hit.attempt === 1 && hit.ordinal % 4 === 0 ? 500 : 200,
    { 'content-type': 'text/plain' },
    Buffer.from([0x61, 0, 0x62]),
  );

/** A 200 with a gzip-encoded JSON body (binary, NUL bytes in its header), never decompressed by a sender. */
export const gzipBody: Behaviour = (response, hit) =>
  answer(
    response,
    hit,
    200,
    { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    gzipSync(JSON.stringify({ received: hit.webhookId, padding: 'y'.repeat(2000) })),
  );

const X_CHUNK = Buffer.alloc(64 * 1024, 'x');

/** A 200 with a body of `bytes` (announced in content-length), streamed as fast as the reader takes it. */
export function hugeBody(bytes: number): Behaviour {
  return (response, hit) => {
    response.writeHead(200, { 'content-type': 'text/plain', 'content-length': bytes });
    stream(response, hit, X_CHUNK, bytes);
  };
}

/** A 200 whose chunked body never ends: 64 KiB chunks as fast as the reader takes them. */
export const endlessBody: Behaviour = (response, hit) => {
  response.writeHead(200, { 'content-type': 'text/plain' });
  stream(response, hit, X_CHUNK, Infinity);
};

/** A 200 whose chunked body never ends and trickles: one byte every `intervalMs`. */
export function tricklingBody(intervalMs: number): Behaviour {
  return (response, hit) => {
    response.writeHead(200, { 'content-type': 'text/plain' });
    stream(response, hit, Buffer.from('z'), Infinity, intervalMs);
  };
}

/**
 * As many headers as a Node client reads (undici stops at 16 KiB of header names and values):
 * 3 000 tiny headers for even events, one header with a 16 000-byte value for odd ones.
 */
export const manyHeaders: Behaviour = (response, hit) => {
  const headers: [string, string][] =
    hit.ordinal % 2 === 0
      ? Array.from({ length: 3000 }, (_, i) => [`x${i.toString(36)}`, '1'])
      : [['x-long', 'v'.repeat(16_000)]];
  answer(response, hit, 200, headers.flat(), Buffer.from('ok'));
};

/** More header bytes than any client reads: 20 000 headers, or one header with a 1 MiB value. */
export const overflowingHeaders: Behaviour = (response, hit) => {
  const headers: [string, string][] =
    hit.ordinal % 2 === 0
      ? Array.from({ length: 20_000 }, (_, i) => [`x-header-${i}`, 'value'])
      : [['x-long', 'v'.repeat(1024 * 1024)]];
  answer(response, hit, 200, headers.flat(), Buffer.from('ok'));
};

/** A 200 after `delayMs`. */
export function slowAnswer(delayMs: number): Behaviour {
  return (response, hit) => setTimeout(() => answer(response, hit, 200, {}, Buffer.from('ok')), delayMs);
}

/**
 * Resets the connection mid-answer, at a point that rotates per event: in the status line, right
 * after the status line, and in the middle of a body announced as 1 000 bytes.
 */
export const resetMidAnswer: Behaviour = (response, hit) => {
  const cutAt = [
    'HTTP/1.1 20',
    'HTTP/1.1 200 OK\r\n',
    'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 1000\r\n\r\npartial',
  ][hit.ordinal % 3]!;
  const socket = response.socket!;
  socket.write(cutAt, () => socket.resetAndDestroy());
};

/** Never answers and holds the connection open. */
export const neverAnswers: Behaviour = () => undefined;
