import { forwardRef, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { DedupKeyCleanupJob } from './dedup-key-cleanup.job';
import { Entrypoint } from './entrypoint.entity';
import { EntrypointsController } from './entrypoints.controller';
import { EntrypointsService } from './entrypoints.service';
import { RejectionRecorder } from './rejection-recorder';

@Module({
  imports: [TypeOrmModule.forFeature([Entrypoint]), forwardRef(() => WebhooksModule)],
  controllers: [EntrypointsController],
  providers: [EntrypointsService, RejectionRecorder, DedupKeyCleanupJob],
  exports: [EntrypointsService, RejectionRecorder, DedupKeyCleanupJob],
})
export class EntrypointsModule {}
