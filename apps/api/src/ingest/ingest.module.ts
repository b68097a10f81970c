import { Module } from '@nestjs/common';
import { compileProxyTrust, PROXY_TRUST } from '../common/proxy-trust';
import { APP_CONFIG, AppConfig } from '../config/config';
import { EntrypointsModule } from '../entrypoints/entrypoints.module';
import { TargetsModule } from '../targets/targets.module';
import { DeliveryModule } from '../delivery/delivery.module';
import { IngestHandler } from './ingest.handler';
import { IngestService } from './ingest.service';
import { RouteCache } from './route-cache';

@Module({
  imports: [EntrypointsModule, TargetsModule, DeliveryModule],
  providers: [
    IngestHandler,
    IngestService,
    RouteCache,
    {
      provide: PROXY_TRUST,
      useFactory: (config: AppConfig) => compileProxyTrust(config.trustProxy),
      inject: [APP_CONFIG],
    },
  ],
  exports: [IngestHandler, IngestService, PROXY_TRUST],
})
export class IngestModule {}
