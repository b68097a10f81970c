import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { ScheduleModule } from '@nestjs/schedule';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { AuthModule } from './auth/auth.module';
import { loggerParams } from './common/logger';
import { ProblemDetailsFilter } from './common/problem-details.filter';
import { AppConfig } from './config/config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { EntrypointsModule } from './entrypoints/entrypoints.module';
import { DeliveryModule } from './delivery/delivery.module';
import { EventLogModule } from './event-log/event-log.module';
import { BulkOperationsModule } from './bulk-operations/bulk-operations.module';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { IngestModule } from './ingest/ingest.module';
import { MetricsModule } from './metrics/metrics.module';
import { IdempotencyModule } from './idempotency/idempotency.module';
import { RetentionModule } from './retention/retention.module';
import { SettingsModule } from './settings/settings.module';
import { StatsModule } from './stats/stats.module';
import { TargetsModule } from './targets/targets.module';
import { UsersModule } from './users/users.module';
import { WebhooksModule } from './webhooks/webhooks.module';
// After the modules it uses: they import one another in a circle, which only this order resolves.
import { AlertsModule } from './alerts/alerts.module';
import { ConfigAsCodeModule } from './config-as-code/config-as-code.module';
import { TargetTrialsModule } from './routing/target-trials.module';

/** `offline`: build every module without connecting to the database (for the OpenAPI document). */
export interface AppOptions {
  offline?: boolean;
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, logger: Logger, options: AppOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerParams(logger)),
        DatabaseModule.forRoot(options.offline ?? false),
        SettingsModule,
        UsersModule,
        ApiKeysModule,
        AuthModule,
        HealthModule,
        MetricsModule,
        ScheduleModule.forRoot(),
        EventEmitterModule.forRoot(),
        IdempotencyModule,
        WebhooksModule,
        EntrypointsModule,
        TargetsModule,
        EventsModule,
        DeliveryModule,
        IngestModule,
        EventLogModule,
        BulkOperationsModule,
        RetentionModule,
        StatsModule,
        AlertsModule,
        ConfigAsCodeModule,
        TargetTrialsModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: ProblemDetailsFilter }],
    };
  }
}
