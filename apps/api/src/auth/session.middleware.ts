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
 * `settings`.
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

  use(request: Request, response: Response, next: NextFunction): void {
    this.handler ??= this.createHandler();
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
    return session({
      name: SESSION_COOKIE,
      secret,
      store: this.store,
      resave: false,
      saveUninitialized: false,
      rolling: true,
      cookie: {
        httpOnly: true,
        sameSite: 'lax',
        secure: 'auto',
        maxAge: this.config.sessionTtlHours * 3_600_000,
      },
    });
  }
}
