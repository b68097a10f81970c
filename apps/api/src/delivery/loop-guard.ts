import { Injectable, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { SettingsService } from '../settings/settings.service';

/** The header webhooker adds to every request it sends; its value names this installation. */
export const LOOP_HEADER = 'webhooker-installation';
const INSTALLATION_ID_SETTING = 'installation_id';

/**
 * Breaks delivery loops: every request webhooker sends carries this installation's id (shared by
 * all its replicas, kept in `settings`), and an event that arrives with it was sent by webhooker
 * itself, so it is stored but not fanned out again.
 */
@Injectable()
export class LoopGuard implements OnModuleInit {
  private id = '';

  constructor(private readonly settings: SettingsService) {}

  async onModuleInit(): Promise<void> {
    this.id = await this.settings.getOrCreate(INSTALLATION_ID_SETTING, () => randomUUID());
  }

  get installationId(): string {
    return this.id;
  }

  /** Whether a request (headers in lower case) was sent by this installation. */
  isOwn(headers: Record<string, string>): boolean {
    return this.id !== '' && headers[LOOP_HEADER] === this.id;
  }
}
