import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { startTestApp, TestApp } from './test-app';

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The bytes as they came over the wire, still compressed if they were. */
  body: Buffer;
}

/** A GET that leaves the body as sent (supertest and fetch would decompress it). */
function rawGet(url: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) }),
      );
      response.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

const GZIP = { 'accept-encoding': 'gzip, deflate' };
const BUNDLE = 'assets/index-3f9a1c2b.js';
const INDEX_HTML = `<!doctype html><html><head><script type="module" src="/${BUNDLE}"></script></head><body><div id="root"></div></body></html>`;

describe('compression and caching of what Express serves', () => {
  let webDir: string;
  let bundle: string;
  let testApp: TestApp;

  beforeAll(async () => {
    webDir = mkdtempSync(path.join(tmpdir(), 'webhooker-web-'));
    mkdirSync(path.join(webDir, 'assets'));
    writeFileSync(path.join(webDir, 'index.html'), INDEX_HTML);
    // Like a minified bundle: 200 KiB of code, which compresses well.
    bundle = Array.from(
      { length: 4000 },
      (_, i) =>
        `function component${i}(props){return createElement("div",{className:"card"},props.children)}`,
    ).join(';');
    writeFileSync(path.join(webDir, BUNDLE), bundle);
    testApp = await startTestApp({}, { webDir });
  });

  afterAll(async () => {
    await testApp?.close();
    rmSync(webDir, { recursive: true, force: true });
  });

  it('sends the dashboard bundle gzipped to a browser that accepts it, and cached for good', async () => {
    const response = await rawGet(`${testApp.url}/${BUNDLE}`, GZIP);
    expect(response.status).toBe(200);
    expect(response.headers['content-encoding']).toBe('gzip');
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(response.body.length).toBeLessThan(Buffer.byteLength(bundle) / 10);
    expect(gunzipSync(response.body).toString()).toBe(bundle);
  });

  it('prefers brotli when the browser accepts it', async () => {
    const response = await rawGet(`${testApp.url}/${BUNDLE}`, { 'accept-encoding': 'gzip, deflate, br' });
    expect(response.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(response.body).toString()).toBe(bundle);
  });

  it('sends the bundle as it is to a client that does not accept gzip', async () => {
    const response = await rawGet(`${testApp.url}/${BUNDLE}`);
    expect(response.headers['content-encoding']).toBeUndefined();
    expect(response.body.toString()).toBe(bundle);
  });

  it('has index.html checked on every load, for client routes and under its own name', async () => {
    for (const url of ['/', '/webhooks/some-id/events', '/index.html']) {
      const response = await rawGet(`${testApp.url}${url}`, GZIP);
      expect(response.status).toBe(200);
      expect(response.headers['cache-control']).toBe('no-cache');
      const html =
        response.headers['content-encoding'] === 'gzip' ? gunzipSync(response.body) : response.body;
      expect(html.toString()).toBe(INDEX_HTML);
    }
  });

  it('gzips API JSON', async () => {
    const response = await rawGet(`${testApp.url}/api/openapi.json`, GZIP);
    expect(response.status).toBe(200);
    expect(response.headers['content-encoding']).toBe('gzip');
    const spec = JSON.parse(gunzipSync(response.body).toString()) as { openapi: string };
    expect(spec.openapi).toMatch(/^3\./);
  });
});
