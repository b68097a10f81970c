import { Module } from '@nestjs/common';
import { EntrypointsModule } from '../entrypoints/entrypoints.module';
import { TargetsModule } from '../targets/targets.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { ConfigAsCodeController } from './config-as-code.controller';
import { ConfigAsCodeService } from './config-as-code.service';

/** Configuration as code: a document of webhooks by key, planned, applied and exported. */
@Module({
  imports: [WebhooksModule, EntrypointsModule, TargetsModule],
  controllers: [ConfigAsCodeController],
  providers: [ConfigAsCodeService],
})
export class ConfigAsCodeModule {}
