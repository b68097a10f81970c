import { forwardRef, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TransformsModule } from '../routing/transforms.module';
import { DeliveryModule } from '../delivery/delivery.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { HostResolver } from './host-resolver';
import { SsrfGuard } from './ssrf-guard';
import { TargetHealthService } from './target-health.service';
import { Target } from './target.entity';
import { TargetsController } from './targets.controller';
import { TargetsService } from './targets.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([Target]),
    forwardRef(() => DeliveryModule),
    forwardRef(() => WebhooksModule),
    TransformsModule,
  ],
  controllers: [TargetsController],
  providers: [TargetsService, TargetHealthService, SsrfGuard, HostResolver],
  exports: [TargetsService, TargetHealthService, SsrfGuard, HostResolver],
})
export class TargetsModule {}
