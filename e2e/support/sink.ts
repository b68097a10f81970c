import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';

export interface SinkRequest {
  method: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A receiver of webhooks on 127.0.0.1 that records what it gets and answers `status`. */
export interface Sink {
  url: string;
  requests: SinkRequest[];
  /** The status code of the next answers: 200 until a test makes it fail. */
  status: number;
  close(): Promise<void>;
}

export async function startSink(): Promise<Sink> {
  const requests: SinkRequest[] = [];
  const sink = { requests, status: 200 } as Sink;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({ method: request.method ?? '', headers: request.headers, body: Buffer.concat(chunks) });
      response.writeHead(sink.status, { 'content-type': 'text/plain' });
      response.end(sink.status < 300 ? 'thanks' : 'receiver is down for maintenance');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  sink.url = `http://127.0.0.1:${port}/hooks`;
  sink.close = () =>
    new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    });
  return sink;
}

/**
 * Checks a request's Standard Webhooks signature: `v1,` and the base64 HMAC-SHA256 of
 * `id.timestamp.body`, keyed with the base64 part of the `whsec_` secret.
 */
export function hasValidSignature(request: SinkRequest, secret: string): boolean {
  const id = request.headers['webhook-id'];
  const timestamp = request.headers['webhook-timestamp'];
  const signatures = request.headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(request.body).digest();
  return signatures.split(' ').some((signature) => {
    const [version, value = ''] = signature.split(',');
    const given = Buffer.from(value, 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}
