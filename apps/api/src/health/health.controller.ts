import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiProperty, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators';
import { HealthService } from './health.service';

export class HealthcheckDto {
  @ApiProperty({ example: 'ok' })
  status: 'ok';

  /** Seconds since this process started. */
  @ApiProperty({ example: 3600.5 })
  uptime: number;

  @ApiProperty({ example: '0.1.0' })
  version: string;
}

export class ProbeDto {
  @ApiProperty({ example: 'ok' })
  status: 'ok';
}

/** Liveness and readiness for load balancers and orchestrators. */
@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  /** Status, uptime and version. */
  @Get('.well-known/healthcheck')
  getHealthcheck(): HealthcheckDto {
    return { status: 'ok', uptime: process.uptime(), version: this.health.version };
  }

  /** Liveness: the process answers. */
  @Get('healthz')
  getLiveness(): ProbeDto {
    return { status: 'ok' };
  }

  /** Readiness: the database answers; 503 when it does not. */
  @Get('readyz')
  @ApiServiceUnavailableResponse({ description: 'The database does not answer' })
  async getReadiness(): Promise<ProbeDto> {
    if (!(await this.health.databaseIsUp()))
      throw new ServiceUnavailableException('The database does not answer');
    return { status: 'ok' };
  }
}
