import { forwardRef, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { DedupKeyCleanupJob } from './dedup-key-cleanup.job';
import { Entrypoint } from './entrypoint.entity';
import { EntrypointsController } from './entrypoints.controller';
import { EntrypointsService } from './entrypoints.service';

@Module({
  imports: [TypeOrmModule.forFeature([Entrypoint]), forwardRef(() => WebhooksModule)],
  controllers: [EntrypointsController],
  providers: [EntrypointsService, DedupKeyCleanupJob],
  exports: [EntrypointsService, DedupKeyCleanupJob],
})
export class EntrypointsModule {}
