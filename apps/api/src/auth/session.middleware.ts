import { Inject, Injectable, NestMiddleware, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import connectPgSimple from 'connect-pg-simple';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import session from 'express-session';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/config';
import { pgPool } from '../database/pg-pool';
import { SettingsService } from '../settings/settings.service';

export const SESSION_COOKIE = 'webhooker.sid';
const SESSION_SECRET_KEY = 'session_secret';

/**
 * Dashboard sessions: an httpOnly SameSite=Lax cookie, stored in the `sessions` table so they
 * survive restarts and work across replicas. The secret is generated on first start and kept in
 * `settings`. The cookie is Secure when PUBLIC_URL is https.
 */
@Injectable()
export class SessionMiddleware implements NestMiddleware, OnModuleDestroy {
  private handler?: Promise<RequestHandler>;
  private store?: InstanceType<ReturnType<typeof connectPgSimple>>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly settings: SettingsService,
  ) {}

  /** Sets the session handler up on first use; a failed set-up is forgotten, so the next request retries. */
  use(request: Request, response: Response, next: NextFunction): void {
    this.handler ??= this.createHandler().catch((error: unknown) => {
      this.handler = undefined;
      throw error;
    });
    this.handler.then((handler) => handler(request, response, next), next);
  }

  onModuleDestroy(): void {
    this.store?.close();
  }

  private async createHandler(): Promise<RequestHandler> {
    const secret = await this.settings.getOrCreate(SESSION_SECRET_KEY, () => randomBytes(32).toString('hex'));
    const PgStore = connectPgSimple(session);
    this.store = new PgStore({
      pool: pgPool(this.dataSource),
      tableName: 'sessions',
      createTableIfMissing: false,
      pruneSessionInterval: 15 * 60,
    });
    const https = new URL(this.config.publicUrl).protocol === 'https:';
    return session({
      name: SESSION_COOKIE,
      secret,
      store: this.store,
      resave: false,
      saveUninitialized: false,
      rolling: true,
      // webhooker speaks plain HTTP behind the TLS proxy of an https PUBLIC_URL: the proxy's
      // X-Forwarded-Proto tells express-session that the Secure cookie may be set.
      proxy: https,
      cookie: {
        httpOnly: true,
        sameSite: 'lax',
        secure: https,
        maxAge: this.config.sessionTtlHours * 3_600_000,
      },
    });
  }
}
