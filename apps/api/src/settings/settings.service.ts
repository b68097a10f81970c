import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { Setting } from './setting.entity';

@Injectable()
export class SettingsService {
  constructor(@InjectRepository(Setting) private readonly settings: Repository<Setting>) {}

  async get(key: string): Promise<string | undefined> {
    return (await this.settings.findOneBy({ key }))?.value;
  }

  /**
   * Returns the stored value, or stores and returns `create()` when there is none. Safe when two
   * replicas start at once: the first insert wins and both return the same value.
   */
  async getOrCreate(key: string, create: () => string): Promise<string> {
    await this.settings.createQueryBuilder().insert().values({ key, value: create() }).orIgnore().execute();
    return (await this.get(key))!;
  }
}
