import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig } from '../config/config';
import { ConfigChangeListener } from './config-change.listener';
import { dataSourceOptions } from './data-source';

/**
 * The TypeORM connection; main.ts resolves DATABASE_URL (or the embedded server) before this runs.
 * `offline` builds the data source without connecting: for writing the OpenAPI document.
 */
@Module({})
export class DatabaseModule {
  static forRoot(offline: boolean): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      providers: [ConfigChangeListener],
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => ({
            ...dataSourceOptions(config.databaseUrl ?? ''),
            manualInitialization: offline,
          }),
        }),
      ],
    };
  }
}
