import { Module } from '@nestjs/common';
import { DeliveryModule } from '../delivery/delivery.module';
import { EventsModule } from '../events/events.module';
import { TargetsModule } from '../targets/targets.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { EventLogController } from './event-log.controller';
import { EventLogService } from './event-log.service';
import { EventSearchIndexer } from './event-search.indexer';

@Module({
  imports: [WebhooksModule, TargetsModule, EventsModule, DeliveryModule],
  controllers: [EventLogController],
  providers: [EventLogService, EventSearchIndexer],
})
export class EventLogModule {}
