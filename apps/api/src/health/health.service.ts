import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_VERSION } from '../version';

const READINESS_TIMEOUT_MS = 2_000;

@Injectable()
export class HealthService {
  readonly version = APP_VERSION;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async databaseIsUp(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>(
      (resolve) => (timer = setTimeout(() => resolve(false), READINESS_TIMEOUT_MS)),
    );
    const probe = this.dataSource.query('SELECT 1').then(
      () => true,
      () => false,
    );
    try {
      return await Promise.race([probe, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
