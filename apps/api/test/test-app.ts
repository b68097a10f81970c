import type { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import supertest from 'supertest';
import { createApp, type CreateAppOptions } from '../src/app.factory';
import { createLogger } from '../src/common/logger';
import { AppConfig, loadConfig } from '../src/config/config';
import { createTestDatabase } from './test-database';

export const ADMIN_PASSWORD = 'admin-password-for-tests';

export interface TestApp {
  app: INestApplication;
  config: AppConfig;
  /** Base URL of the real HTTP server on 127.0.0.1. */
  url: string;
  databaseUrl: string;
  request: () => ReturnType<typeof supertest>;
  close: () => Promise<void>;
}

/** The whole application on its own fresh database, listening on 127.0.0.1 (or on `env.HOST`). */
export async function startTestApp(
  env: Record<string, string> = {},
  options: CreateAppOptions = {},
): Promise<TestApp> {
  const database = await createTestDatabase();
  const config: AppConfig = {
    ...loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      LOG_FORMAT: 'json',
      INSTANCE_ID: `test-${randomBytes(4).toString('hex')}`,
      ADMIN_PASSWORD,
      LOGIN_RATE_LIMIT: '1000',
      LOGIN_RATE_LIMIT_PER_ADDRESS: '10000',
      // Test-only: new password hashes at N = 2^12 instead of 2^17 (test/security-hardening.spec.ts and
      // src/users/password.spec.ts prove the default cost and the upgrade of older hashes).
      INSECURE_SCRYPT_LOG2_N: '12',
      ...env,
    }),
    databaseUrl: database.url,
  };
  const app = await createApp(config, createLogger(config), options);
  await app.listen(0, env.HOST ?? '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  return {
    app,
    config,
    url,
    databaseUrl: database.url,
    request: () => supertest(url),
    close: async () => {
      await app.close();
      await database.drop();
    },
  };
}

/** A supertest agent logged in as the user, with its CSRF token. */
export async function login(testApp: TestApp, username: string, password: string) {
  const agent = supertest.agent(testApp.url);
  const response = await agent.post('/api/v1/auth/login').send({ username, password }).expect(200);
  return { agent, csrfToken: response.body.csrfToken as string, user: response.body.user };
}
