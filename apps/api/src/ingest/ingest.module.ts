import { Module } from '@nestjs/common';
import { EntrypointsModule } from '../entrypoints/entrypoints.module';
import { TargetsModule } from '../targets/targets.module';
import { DeliveryModule } from '../delivery/delivery.module';
import { IngestHandler } from './ingest.handler';
import { IngestService } from './ingest.service';
import { RouteCache } from './route-cache';

@Module({
  imports: [EntrypointsModule, TargetsModule, DeliveryModule],
  providers: [IngestHandler, IngestService, RouteCache],
  exports: [IngestHandler],
})
export class IngestModule {}
