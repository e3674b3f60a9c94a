import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, escapeIdentifier, escapeLiteral } from 'pg';
import { freePort } from './ports';
import {
  type Daemon,
  type SystemUser,
  onExit,
  requireProgram,
  run,
  setprivAs,
  startDaemon,
} from './programs';

const INSTALL = 'the Debian package postgresql';
const DEBIAN_ROOT = '/usr/lib/postgresql';
const SUPERUSER = 'postgres';
const HOST = '127.0.0.1';

export interface PostgresOptions {
  /**
   * The role `url` connects as: it can log in and owns `database`, nothing more.
   * @default 'app'
   */
  readonly user?: string;
  /** @default - random */
  readonly password?: string;
  /** @default 'app' */
  readonly database?: string;
  /**
   * How long each start may take before it fails with the server log.
   * @default 30000
   */
  readonly startTimeoutMs?: number;
}

/** A throwaway PostgreSQL server on 127.0.0.1, in its own temp folder. */
export interface PostgresServer {
  /** `postgres://user:password@127.0.0.1:port/database` for the non-superuser role. */
  readonly url: string;
  /** The same server as the superuser `postgres` (with a random password), database `postgres`. */
  readonly superuserUrl: string;
  readonly port: number;
  /** The server's output, kept across restarts. */
  readonly logFile: string;
  /** Fast shutdown (SIGINT): open sessions are cut, committed data stays. Waits for the exit. */
  stop(): Promise<void>;
  /** Starts a stopped server again with the same port and data; waits until it accepts connections. */
  start(): Promise<void>;
  restart(): Promise<void>;
  /** Stops the server and removes its folder, data included. */
  destroy(): Promise<void>;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The folder holding initdb and postgres: the newest /usr/lib/postgresql/<version>/bin (where
 * Debian puts them, off the PATH), else wherever initdb is on the PATH.
 */
export function findServerBinaries(): string {
  const versions = fs.existsSync(DEBIAN_ROOT) ? fs.readdirSync(DEBIAN_ROOT) : [];
  const candidates = versions
    .filter((version) => /^\d+(\.\d+)?$/.test(version))
    .sort((a, b) => Number(b) - Number(a))
    .map((version) => path.join(DEBIAN_ROOT, version, 'bin'));
  for (const dir of candidates) {
    if (isExecutable(path.join(dir, 'initdb')) && isExecutable(path.join(dir, 'postgres'))) return dir;
  }
  // initdb looks for postgres next to its real path, so follow a symlink such as /usr/local/bin/initdb.
  const initdb = fs.realpathSync(requireProgram('initdb', `${INSTALL} (or put its bin folder on the PATH)`));
  const dir = path.dirname(initdb);
  if (!isExecutable(path.join(dir, 'postgres'))) {
    throw new Error(`postgres is not next to ${initdb}: install ${INSTALL}`);
  }
  return dir;
}

/**
 * Postgres refuses to run as root. Root (as on CI machines and containers) runs it as the
 * `postgres` account that the Debian package creates; anyone else runs it as themselves.
 */
function serverAccount(): SystemUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const entry = run('getent', ['passwd', SUPERUSER], { cwd: '/', allowFailure: true });
  const fields = entry.stdout.trim().split(':');
  if (entry.status !== 0 || fields.length < 4) {
    throw new Error(
      `running as root, which postgres refuses, and there is no '${SUPERUSER}' account to run it as: ` +
        `install ${INSTALL} (it creates the account) or run the tests as another user`,
    );
  }
  return { name: SUPERUSER, uid: Number(fields[2]), gid: Number(fields[3]) };
}

/** A value for postgresql.conf. */
function confString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * A postmaster killed with SIGKILL (when Node exits under a test that never called destroy) leaves
 * its small SysV shared memory segment behind; postmaster.pid names it on line 7.
 */
function removeSharedMemory(dataDir: string): void {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const id = fs.readFileSync(pidFile, 'utf8').split('\n')[6]?.trim().split(/\s+/)[1];
  if (id) spawnSync('ipcrm', ['-m', id], { timeout: 5_000 });
}

function newPassword(): string {
  return randomBytes(18).toString('base64url');
}

interface Login {
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly superuserPassword: string;
}

class LocalPostgres implements PostgresServer {
  readonly url: string;
  readonly superuserUrl: string;
  readonly logFile: string;
  private readonly dataDir: string;
  private daemon: Daemon | undefined;

  constructor(
    private readonly binDir: string,
    /** Holds the data folder, the log and the unix socket. */
    private readonly dir: string,
    private readonly account: SystemUser | undefined,
    readonly port: number,
    private readonly login: Login,
    private readonly startTimeoutMs: number,
    private readonly cancelRemoveOnExit: () => void,
  ) {
    const encode = encodeURIComponent;
    this.url = `postgres://${encode(login.user)}:${encode(login.password)}@${HOST}:${port}/${encode(login.database)}`;
    this.superuserUrl = `postgres://${SUPERUSER}:${encode(login.superuserPassword)}@${HOST}:${port}/postgres`;
    this.logFile = path.join(dir, 'postgres.log');
    this.dataDir = path.join(dir, 'data');
  }

  /** Creates the cluster and its configuration; the server is not running yet. */
  initialize(): void {
    if (this.account) fs.chownSync(this.dir, this.account.uid, this.account.gid);
    const initdb = path.join(this.binDir, 'initdb');
    // The superuser password is set later over the socket: --pwfile would need a file the server
    // account can read. --no-sync: a test cluster need not survive a power cut.
    const args = [
      '-D',
      this.dataDir,
      '-U',
      SUPERUSER,
      '--auth=trust',
      '--no-sync',
      '--no-locale',
      '-E',
      'UTF8',
    ];
    const [program, programArgs] = this.account
      ? [
          requireProgram('setpriv', 'the Debian package util-linux'),
          [...setprivAs(this.account), initdb, ...args],
        ]
      : [initdb, args];
    run(program, programArgs, { cwd: this.dir, timeoutMs: 60_000 });

    // fsync off and little memory: a test cluster is thrown away, and several may run at once.
    const settings: Record<string, string> = {
      listen_addresses: confString(HOST),
      port: String(this.port),
      unix_socket_directories: confString(this.dir),
      unix_socket_permissions: '0700',
      password_encryption: confString('scram-sha-256'),
      fsync: 'off',
      shared_buffers: confString('16MB'),
      max_connections: '50',
    };
    const lines = Object.entries(settings).map(([name, value]) => `${name} = ${value}`);
    fs.appendFileSync(
      path.join(this.dataDir, 'postgresql.conf'),
      ['', '# mcpenv test harness', ...lines, ''].join('\n'),
    );
    // Replaces initdb's file: no trust over TCP, no IPv6, no replication.
    fs.writeFileSync(
      path.join(this.dataDir, 'pg_hba.conf'),
      [
        '# TYPE  DATABASE  USER  ADDRESS       METHOD',
        'local   all       all                 trust',
        `host    all       all   ${HOST}/32  scram-sha-256`,
        '',
      ].join('\n'),
    );
  }

  /** Gives the superuser its password and creates the application role and its database. */
  async provision(): Promise<void> {
    const { user, password, database, superuserPassword } = this.login;
    await this.asSuperuser(async (client) => {
      await client.query(`ALTER ROLE ${SUPERUSER} PASSWORD ${escapeLiteral(superuserPassword)}`);
      await client.query(
        `CREATE ROLE ${escapeIdentifier(user)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE ` +
          `PASSWORD ${escapeLiteral(password)}`,
      );
      await client.query(`CREATE DATABASE ${escapeIdentifier(database)} OWNER ${escapeIdentifier(user)}`);
    });
  }

  /** Runs `work` as the superuser over the unix socket, the only place where trust applies. */
  private async asSuperuser<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({
      host: this.dir,
      port: this.port,
      user: SUPERUSER,
      database: 'postgres',
      connectionTimeoutMillis: 2_000,
    });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  async start(): Promise<void> {
    if (this.daemon) throw new Error(`postgres on port ${this.port} is already running: stop() it first`);
    const daemon = startDaemon(path.join(this.binDir, 'postgres'), ['-D', this.dataDir], {
      cwd: this.dir,
      logFile: this.logFile,
      user: this.account,
    });
    this.daemon = daemon;
    try {
      // A session, not just an open port: while recovering, postgres listens but refuses sessions.
      await daemon.waitUntilReady(async () => {
        await this.asSuperuser((client) => client.query('SELECT 1'));
      }, this.startTimeoutMs);
    } catch (error) {
      this.daemon = undefined;
      await daemon.stop('SIGKILL', 5_000);
      throw error;
    }
  }

  async stop(): Promise<void> {
    const daemon = this.daemon;
    if (!daemon) return;
    this.daemon = undefined;
    await daemon.stop('SIGINT', 30_000);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async destroy(): Promise<void> {
    try {
      await this.stop();
    } finally {
      await fs.promises.rm(this.dir, { recursive: true, force: true, maxRetries: 3 });
      this.cancelRemoveOnExit();
    }
  }
}

/**
 * Starts a PostgreSQL server for one test file: a fresh cluster in a temp folder, listening on a
 * free port of 127.0.0.1 with scram-sha-256 passwords, trust only on a unix socket in that folder,
 * and a non-superuser role that owns its database. Call `destroy()` in afterAll.
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const login: Login = {
    user: options.user ?? 'app',
    password: options.password ?? newPassword(),
    database: options.database ?? 'app',
    superuserPassword: newPassword(),
  };
  if (login.user === SUPERUSER) {
    throw new Error(
      `\`user\` must not be the superuser '${SUPERUSER}' (got '${login.user}'): pick another name`,
    );
  }
  const binDir = findServerBinaries();
  const account = serverAccount();
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpenv-pg-'));
  // Registered before the server starts, so it runs after the server has been killed.
  const cancelRemoveOnExit = onExit(() => {
    removeSharedMemory(path.join(dir, 'data'));
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  });
  const server = new LocalPostgres(
    binDir,
    dir,
    account,
    port,
    login,
    options.startTimeoutMs ?? 30_000,
    cancelRemoveOnExit,
  );
  try {
    server.initialize();
    await server.start();
    await server.provision();
    return server;
  } catch (error) {
    await server.destroy();
    throw error;
  }
}
