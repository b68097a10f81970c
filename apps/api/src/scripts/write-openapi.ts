import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createApp } from '../app.factory';
import { createLogger } from '../common/logger';
import { buildOpenApiDocument } from '../common/openapi';
import { loadConfig } from '../config/config';

/**
 * Writes the OpenAPI document to the path given (default libs/api-client/openapi.json), booting
 * the application without a database and without listening.
 */
async function writeOpenApi(): Promise<void> {
  const target = path.resolve(process.argv[2] ?? 'libs/api-client/openapi.json');
  const config = loadConfig({ LOG_LEVEL: 'silent' });
  const app = await createApp(config, createLogger(config), { offline: true });
  const document = buildOpenApiDocument(app);
  writeFileSync(target, JSON.stringify(document, null, 2) + '\n');
  await app.close();
  process.stdout.write(`Wrote ${path.relative(process.cwd(), target)}\n`);
}

writeOpenApi().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
