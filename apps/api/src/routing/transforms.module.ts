import { Module } from '@nestjs/common';
import { TransformRunner } from './transform-runner';

/** The transform sandbox's worker threads, shared by the delivery engine and the targets API. */
@Module({
  providers: [TransformRunner],
  exports: [TransformRunner],
})
export class TransformsModule {}
