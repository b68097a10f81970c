import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DeliveryModule } from '../delivery/delivery.module';
import { TargetsModule } from '../targets/targets.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { BulkOperation } from './bulk-operation.entity';
import { BulkOperationRunner } from './bulk-operation.runner';
import { BulkOperationsController } from './bulk-operations.controller';
import { BulkOperationsService } from './bulk-operations.service';

/** Bulk recovery: replay or cancel a webhook's deliveries by filter, run in batches in the background. */
@Module({
  imports: [TypeOrmModule.forFeature([BulkOperation]), WebhooksModule, TargetsModule, DeliveryModule],
  controllers: [BulkOperationsController],
  providers: [BulkOperationsService, BulkOperationRunner],
})
export class BulkOperationsModule {}
