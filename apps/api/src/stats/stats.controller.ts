import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../auth/auth.decorators';
import type { AuthenticatedUser } from '../auth/auth.types';
import { StatsDto, StatsQueryDto } from './stats.dto';
import { StatsService } from './stats.service';

@ApiTags('stats')
@Controller('api/v1/stats')
export class StatsController {
  constructor(private readonly stats: StatsService) {}

  /**
   * Delivery statistics of the webhooks you may see (all for admins) in the last hour, day or 7
   * days: totals, per webhook and per target (failing targets first), waiting deliveries, circuits
   * and a time series. Read from rollups brought up to date every few seconds (see `updatedAt`).
   */
  @Get()
  async getStats(@CurrentUser() user: AuthenticatedUser, @Query() query: StatsQueryDto): Promise<StatsDto> {
    return this.stats.get(user, query);
  }
}
