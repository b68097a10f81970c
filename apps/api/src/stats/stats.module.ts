import { Module } from '@nestjs/common';
import { StatsRollupJob } from './stats-rollup.job';
import { StatsController } from './stats.controller';
import { StatsService } from './stats.service';

/** Delivery statistics: the rollup job and `GET /api/v1/stats`. */
@Module({
  controllers: [StatsController],
  providers: [StatsService, StatsRollupJob],
  exports: [StatsRollupJob],
})
export class StatsModule {}
