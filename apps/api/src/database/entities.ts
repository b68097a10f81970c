import { ApiKey } from '../api-keys/api-key.entity';
import { Setting } from '../settings/setting.entity';
import { User } from '../users/user.entity';

/** Every entity, listed explicitly (no globs): the data source and the schema check use this list. */
export const ENTITIES = [User, ApiKey, Setting];
