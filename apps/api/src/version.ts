import { readFileSync } from 'node:fs';
import * as path from 'node:path';

function findVersion(): string {
  let dir = __dirname;
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'webhooker' && pkg.version) return pkg.version;
    } catch {
      // no package.json here: look in the parent folder
    }
    const parent = path.dirname(dir);
    if (parent === dir) return '0.0.0';
    dir = parent;
  }
}

/** The version in the workspace's package.json. */
export const APP_VERSION = findVersion();
