import { forwardRef, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TransformsModule } from '../routing/transforms.module';
import { APP_CONFIG, AppConfig } from '../config/config';
import { EventsModule } from '../events/events.module';
import { SettingsModule } from '../settings/settings.module';
import { TargetsModule } from '../targets/targets.module';
import { ArchivedEvent } from './archived-event.entity';
import { DeliveryAttempt } from './delivery-attempt.entity';
import { DeliveryEngine } from './delivery-engine';
import { Delivery } from './delivery.entity';
import { DeliveryService } from './delivery.service';
import { HttpSender } from './http-sender';
import { INSTANCE_ID, InstanceIdLock, resolveInstanceId } from './instance-id';
import { LoopGuard } from './loop-guard';
import { ResultWriter } from './result-writer';

@Module({
  imports: [
    TypeOrmModule.forFeature([Delivery, DeliveryAttempt, ArchivedEvent]),
    EventsModule,
    SettingsModule,
    forwardRef(() => TargetsModule),
    TransformsModule,
  ],
  providers: [
    InstanceIdLock,
    DeliveryService,
    DeliveryEngine,
    ResultWriter,
    HttpSender,
    LoopGuard,
    {
      provide: INSTANCE_ID,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => resolveInstanceId(config),
    },
  ],
  exports: [DeliveryService, DeliveryEngine, INSTANCE_ID, LoopGuard],
})
export class DeliveryModule {}
