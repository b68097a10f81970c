import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { AppConfig } from '../config/config';

/** Injection token of this process's stable instance id (the `leased_by` of its leases). */
export const INSTANCE_ID = Symbol('INSTANCE_ID');

/**
 * INSTANCE_ID when set; otherwise an id generated once and kept in DATA_DIR/instance-id, so a
 * restarted node recognises (and takes back at once) its own earlier leases.
 */
export function resolveInstanceId(config: Pick<AppConfig, 'instanceId' | 'dataDir'>): string {
  if (config.instanceId) return config.instanceId;
  const file = path.join(config.dataDir, 'instance-id');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    const id = `wh-${randomBytes(6).toString('hex')}`;
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, id);
    return id;
  }
}
