import { Module } from '@nestjs/common';
import { DeliveryModule } from '../delivery/delivery.module';
import { EventsModule } from '../events/events.module';
import { TargetsModule } from '../targets/targets.module';
import { TargetTrialsController } from './target-trials.controller';
import { TargetTrialsService } from './target-trials.service';
import { TransformsModule } from './transforms.module';

/** Previews and test sends of targets. */
@Module({
  imports: [TargetsModule, DeliveryModule, EventsModule, TransformsModule],
  controllers: [TargetTrialsController],
  providers: [TargetTrialsService],
})
export class TargetTrialsModule {}
