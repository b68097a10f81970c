import { BadRequestException, INestApplication, PayloadTooLargeException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
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

/** Where `nx build web` puts the dashboard, next to the built API. */
const WEB_DIR = path.resolve(__dirname, '..', 'web');
const API_PATHS = /^\/(api|webhook|healthz|readyz|metrics|\.well-known)(\/|$)/;

/** Serves the built dashboard, and its index.html for client-side routes. */
function serveDashboard(app: NestExpressApplication): void {
  if (!existsSync(path.join(WEB_DIR, 'index.html'))) return;
  app.use(express.static(WEB_DIR, { index: false, maxAge: '1h' }));
  app.use((request: express.Request, response: express.Response, next: express.NextFunction) => {
    if ((request.method !== 'GET' && request.method !== 'HEAD') || API_PATHS.test(request.path))
      return next();
    response.setHeader('Cache-Control', 'no-cache');
    response.sendFile(path.join(WEB_DIR, 'index.html'));
  });
}

/** JSON bodies of API requests (up to 1 MiB), with errors that say what is wrong. */
function jsonBody(): express.RequestHandler {
  const parse = express.json({ limit: '1mb' });
  return (request, response, next) =>
    parse(request, response, (error?: { type?: string; message?: string }) => {
      if (error?.type === 'entity.parse.failed')
        return next(new BadRequestException(`The body is not valid JSON: ${error.message}`));
      if (error?.type === 'entity.too.large')
        return next(new PayloadTooLargeException('The body is larger than 1 MiB'));
      next(error);
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

/** Builds the whole application, as `npm start` runs it and as the tests drive it. */
export async function createApp(
  config: AppConfig,
  logger: Logger,
  options: AppOptions = {},
): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, logger, options), {
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(PinoNestLogger));
  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');
  app.use('/api', jsonBody());
  app.useGlobalPipes(createValidationPipe());
  serveOpenApi(app);
  serveDashboard(app);
  if (config.role !== 'worker') mountIngest(app);
  return app;
}
