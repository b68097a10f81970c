import 'reflect-metadata';
import * as dotenv from 'dotenv';
import type { Server } from 'node:http';
import { createApp } from './app.factory';
import { createLogger } from './common/logger';
import { ConfigError, loadConfig } from './config/config';
import { EmbeddedPostgres } from './database/embedded-postgres';

async function main(): Promise<void> {
  dotenv.config({ quiet: true });
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`webhooker: invalid configuration: ${error.message}\n`);
    process.exit(1);
  }
  const logger = createLogger(config);

  let embedded: EmbeddedPostgres | undefined;
  if (!config.databaseUrl) {
    const pgLogger = logger.child({ context: 'EmbeddedPostgres' });
    logger.info({ dataDir: config.dataDir }, 'No DATABASE_URL: starting the embedded PostgreSQL');
    embedded = await EmbeddedPostgres.start({
      dataDir: config.dataDir,
      port: config.embeddedPostgresPort,
      durable: true,
      onLog: (line) => pgLogger.debug(line),
    });
    logger.info({ address: embedded.address }, 'Embedded PostgreSQL ready');
    config = { ...config, databaseUrl: embedded.url };
  }

  let app;
  try {
    app = await createApp(config, logger);
    await app.listen(config.port, config.host);
  } catch (error) {
    await app?.close();
    await embedded?.stop();
    throw error;
  }
  logger.info(`webhooker listening on ${config.publicUrl}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: shutting down`);
    const server: Server = app.getHttpServer();
    server.close();
    server.closeIdleConnections();
    let exitCode = 0;
    try {
      await app.close();
    } catch (error) {
      logger.error(`Shutting down failed: ${error instanceof Error ? error.message : error}`);
      exitCode = 1;
    }
    await embedded?.stop();
    logger.info('Stopped');
    process.exit(exitCode);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`webhooker: ${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(
    `webhooker failed to start: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
