import {
  BadRequestException,
  HttpException,
  INestApplication,
  Logger as NestLogger,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import compression from 'compression';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import { existsSync } from 'node:fs';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import * as path from 'node:path';
import type { Logger } from 'pino';
import { AppModule, AppOptions } from './app.module';
import { serveOpenApi } from './common/openapi';
import { createValidationPipe } from './common/validation';
import { IngestHandler } from './ingest/ingest.handler';
import { AppConfig } from './config/config';
import { PROXY_TRUST, ProxyTrust } from './common/proxy-trust';
import { capConnectionsPerAddress } from './common/connections-per-address';

/** Where `nx build web` puts the dashboard, next to the built API. */
const WEB_DIR = path.resolve(__dirname, '..', 'web');
const API_PATHS = /^\/(api|webhook|healthz|readyz|metrics|\.well-known)(\/|$)/;
/** Vite names these files after a hash of their content: a changed file gets a new name. */
const HASHED_ASSETS = `${path.sep}assets${path.sep}`;
const NO_CACHE = 'no-cache';
/** Connections refused for their address's cap are logged at most this often. */
const REFUSED_LOG_INTERVAL_MS = 10_000;

/**
 * Serves the built dashboard, and its index.html for client-side routes: hashed assets are cached
 * for good, index.html is checked on every load so a new version shows at once.
 */
function serveDashboard(app: NestExpressApplication, webDir: string): void {
  const index = path.join(webDir, 'index.html');
  if (!existsSync(index)) return;
  app.use(
    express.static(webDir, {
      index: false,
      maxAge: '1h',
      setHeaders: (response, file) => {
        if (file === index) response.setHeader('Cache-Control', NO_CACHE);
        else if (file.startsWith(path.join(webDir, HASHED_ASSETS)))
          response.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
      },
    }),
  );
  app.use((request: express.Request, response: express.Response, next: express.NextFunction) => {
    if ((request.method !== 'GET' && request.method !== 'HEAD') || API_PATHS.test(request.path))
      return next();
    response.setHeader('Cache-Control', NO_CACHE);
    response.sendFile(index);
  });
}

/**
 * brotli, gzip or deflate for what Express answers, as the client accepts: the dashboard's files,
 * API JSON, /metrics. Entrypoint requests never reach Express (see mountIngest); a server-sent
 * event stream is left alone, as compressing it would hold events back until a buffer fills.
 */
function compress(): express.RequestHandler {
  return compression({
    filter: (request, response) =>
      !String(response.getHeader('Content-Type') ?? '').startsWith('text/event-stream') &&
      compression.filter(request, response),
  });
}

/** What an error of body-parser (http-errors) carries. */
interface BodyParserError {
  type?: string;
  message?: string;
  status?: number;
  charset?: string;
  encoding?: string;
  code?: string;
}

/** A body-parser failure as the 4xx it is, with a message that says what is wrong; null for a server fault. */
function bodyParserProblem(error: BodyParserError, request: express.Request): HttpException | null {
  switch (error.type) {
    case 'entity.parse.failed':
      return new BadRequestException(`The body is not valid JSON: ${error.message}`);
    case 'entity.too.large':
      return new PayloadTooLargeException('The body is larger than 1 MiB');
    case 'charset.unsupported':
      return new UnsupportedMediaTypeException(
        `The charset "${error.charset}" is not supported; send the JSON body as UTF-8`,
      );
    case 'encoding.unsupported':
      return new UnsupportedMediaTypeException(
        `The content encoding "${error.encoding}" is not supported; send identity, gzip, deflate or br`,
      );
  }
  const status = error.status ?? 500;
  if (status < 400 || status >= 500) return null;
  if (error.code?.startsWith('Z_')) {
    return new BadRequestException(
      `The body is not valid "${request.headers['content-encoding']}" data, as its Content-Encoding says`,
    );
  }
  return new HttpException(`The body could not be read: ${error.message}`, status);
}

/** JSON bodies of API requests (up to 1 MiB), with errors that say what is wrong. */
function jsonBody(): express.RequestHandler {
  const parse = express.json({ limit: '1mb' });
  return (request, response, next) =>
    parse(request, response, (error?: BodyParserError) => {
      if (!error) return next();
      next(bodyParserProblem(error, request) ?? error);
    });
}

/** YAML bodies (configuration documents, up to 1 MiB) as text, parsed by the module that takes them. */
function yamlBody(): express.RequestHandler {
  const parse = express.text({ type: ['application/yaml', 'text/yaml', 'application/x-yaml'], limit: '1mb' });
  return (request, response, next) =>
    parse(request, response, (error?: BodyParserError) => {
      if (!error) return next();
      next(bodyParserProblem(error, request) ?? error);
    });
}

/** Entrypoint requests go to the ingest handler before Express sees them (the hot path). */
function mountIngest(app: INestApplication): void {
  const server: Server = app.getHttpServer();
  const ingest = app.get(IngestHandler);
  const [express] = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (!ingest.handle(request, response)) express!(request, response);
  });
}

/**
 * Limits of the HTTP server, so no client can hold a connection or a request open without end:
 * a request (head and body) must arrive within HTTP_REQUEST_TIMEOUT_MS and its head within
 * HTTP_HEADERS_TIMEOUT_MS (checked every quarter of the shorter one, or a trickled body would
 * only be noticed on node's default 30 s round), idle keep-alive connections close after
 * HTTP_KEEP_ALIVE_TIMEOUT_MS, and connections beyond HTTP_MAX_CONNECTIONS, or beyond
 * HTTP_MAX_CONNECTIONS_PER_ADDRESS from one address, are dropped at once.
 */
function limitServer(app: INestApplication, config: AppConfig): void {
  // connectionsCheckingInterval is read when the server starts listening, so it may be set here.
  const server: Server & { connectionsCheckingInterval: number } = app.getHttpServer();
  server.requestTimeout = config.httpRequestTimeoutMs;
  server.headersTimeout = config.httpHeadersTimeoutMs;
  server.connectionsCheckingInterval = Math.max(
    250,
    Math.floor(Math.min(config.httpRequestTimeoutMs, config.httpHeadersTimeoutMs) / 4),
  );
  server.keepAliveTimeout = config.httpKeepAliveTimeoutMs;
  server.maxConnections = config.httpMaxConnections;
  const logger = new NestLogger('HttpServer');
  let loggedAt = 0;
  capConnectionsPerAddress(
    server,
    config.httpMaxConnectionsPerAddress,
    app.get<ProxyTrust>(PROXY_TRUST),
    (address) => {
      if (Date.now() - loggedAt < REFUSED_LOG_INTERVAL_MS) return;
      loggedAt = Date.now();
      logger.warn(
        `Connections from ${address} refused: it holds HTTP_MAX_CONNECTIONS_PER_ADDRESS (${config.httpMaxConnectionsPerAddress}) already`,
      );
    },
  );
}

export interface CreateAppOptions extends AppOptions {
  /** Where the built dashboard is; by default next to the built API. */
  webDir?: string;
}

/** Builds the whole application, as `npm start` runs it and as the tests drive it. */
export async function createApp(
  config: AppConfig,
  logger: Logger,
  { webDir = WEB_DIR, ...options }: CreateAppOptions = {},
): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, logger, options), {
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(PinoNestLogger));
  app.set('trust proxy', app.get<ProxyTrust>(PROXY_TRUST));
  app.disable('x-powered-by');
  app.use(compress());
  app.use('/api', jsonBody());
  app.use('/api/v1/config', yamlBody());
  app.useGlobalPipes(createValidationPipe());
  serveOpenApi(app);
  serveDashboard(app, webDir);
  limitServer(app, config);
  if (config.role !== 'worker') mountIngest(app);
  return app;
}
