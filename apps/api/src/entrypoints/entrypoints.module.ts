import { forwardRef, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { Entrypoint } from './entrypoint.entity';
import { EntrypointsController } from './entrypoints.controller';
import { EntrypointsService } from './entrypoints.service';
import { RejectionRecorder } from './rejection-recorder';

@Module({
  imports: [TypeOrmModule.forFeature([Entrypoint]), forwardRef(() => WebhooksModule)],
  controllers: [EntrypointsController],
  providers: [EntrypointsService, RejectionRecorder],
  exports: [EntrypointsService, RejectionRecorder],
})
export class EntrypointsModule {}
