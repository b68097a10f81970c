import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DeliveryModule } from '../delivery/delivery.module';
import { EventsModule } from '../events/events.module';
import { IngestModule } from '../ingest/ingest.module';
import { TargetsModule } from '../targets/targets.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { AlertNotifier } from './alert-notifier';
import { AlertSubscription } from './alert-subscription.entity';
import { AlertsController } from './alerts.controller';
import { AlertsService } from './alerts.service';
import { BacklogMonitor } from './backlog-monitor';

/** Alerts: operational events delivered to each user's subscriptions through their system webhook. */
@Module({
  imports: [
    TypeOrmModule.forFeature([AlertSubscription]),
    WebhooksModule,
    TargetsModule,
    EventsModule,
    DeliveryModule,
    IngestModule,
  ],
  controllers: [AlertsController],
  providers: [AlertsService, AlertNotifier, BacklogMonitor],
})
export class AlertsModule {}
