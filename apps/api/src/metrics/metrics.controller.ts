import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators';
import { ProblemDetailsDto } from '../common/problem-details';
import { MetricsTokenGuard } from './metrics-token.guard';
import { MetricsService } from './metrics.service';

/** Prometheus metrics. */
@ApiTags('health')
@Public()
@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  /**
   * Metrics in the Prometheus text format: events, attempts by outcome, latencies, queue depth, open circuits.
   * When METRICS_TOKEN is set, send it as `Authorization: Bearer <token>`; unset, the endpoint is open.
   */
  @Get('metrics')
  @UseGuards(MetricsTokenGuard)
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOkResponse({ content: { 'text/plain': { schema: { type: 'string' } } } })
  @ApiUnauthorizedResponse({ description: 'METRICS_TOKEN is set and was not sent', type: ProblemDetailsDto })
  async getMetrics(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
