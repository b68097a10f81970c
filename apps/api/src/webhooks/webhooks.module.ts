import { forwardRef, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DeliveryModule } from '../delivery/delivery.module';
import { EntrypointsModule } from '../entrypoints/entrypoints.module';
import { EventsModule } from '../events/events.module';
import { StatsModule } from '../stats/stats.module';
import { TargetsModule } from '../targets/targets.module';
import { WebhookPurgeJob } from './webhook-purge.job';
import { Webhook } from './webhook.entity';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([Webhook]),
    forwardRef(() => EntrypointsModule),
    forwardRef(() => TargetsModule),
    EventsModule,
    DeliveryModule,
    StatsModule,
  ],
  controllers: [WebhooksController],
  providers: [WebhooksService, WebhookPurgeJob],
  exports: [WebhooksService],
})
export class WebhooksModule {}
