import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from './ports';
import { type Daemon, onExit, requireProgram, startDaemon } from './programs';

const HOST = '127.0.0.1';

export interface RedisOptions {
  /**
   * Clients must AUTH with this password (`requirepass`).
   * @default - no password
   */
  readonly password?: string;
  /**
   * Keep the data across stop() and start(): an append-only file, synced on every write.
   * @default false
   */
  readonly persistent?: boolean;
  /**
   * How long each start may take before it fails with the server log.
   * @default 30000
   */
  readonly startTimeoutMs?: number;
}

/** A throwaway Redis server on 127.0.0.1, without persistence, in its own temp folder. */
export interface RedisServer {
  /** `redis://[:password@]127.0.0.1:port` */
  readonly url: string;
  readonly port: number;
  /** The server's output, kept across restarts. */
  readonly logFile: string;
  /** SIGTERM, then waits for the exit; the data is gone (nothing is saved). */
  stop(): Promise<void>;
  /** Starts a stopped server again on the same port; waits until it answers PING. */
  start(): Promise<void>;
  /** Stops the server and removes its folder. */
  destroy(): Promise<void>;
}

/** A RESP command, which unlike an inline command survives spaces and quotes in arguments. */
function respCommand(...args: string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
}

/** Resolves when the server answers PING (after AUTH when there is a password); bounded to 1 s. */
function ping(port: number, password: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port });
    let replies = '';
    const fail = (error: Error): void => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(1_000, () => fail(new Error(`no PONG within 1 s (got ${JSON.stringify(replies)})`)));
    socket.once('error', fail);
    socket.once('connect', () => {
      socket.write((password === undefined ? '' : respCommand('AUTH', password)) + respCommand('PING'));
    });
    socket.on('data', (chunk: Buffer) => {
      replies += chunk.toString();
      if (replies.startsWith('-')) fail(new Error(replies.trim()));
      else if (replies.endsWith('+PONG\r\n')) {
        socket.destroy();
        resolve();
      }
    });
  });
}

/** A string for redis.conf: double quotes, with the escapes its parser understands. */
function confString(value: string): string {
  return `"${value.replace(/[\\"]/g, (char) => `\\${char}`).replace(/\n/g, '\\n')}"`;
}

class LocalRedis implements RedisServer {
  readonly url: string;
  readonly logFile: string;
  private readonly configFile: string;
  private daemon: Daemon | undefined;

  constructor(
    private readonly program: string,
    private readonly dir: string,
    readonly port: number,
    private readonly password: string | undefined,
    private readonly persistent: boolean,
    private readonly startTimeoutMs: number,
    private readonly cancelRemoveOnExit: () => void,
  ) {
    const auth = password === undefined ? '' : `:${encodeURIComponent(password)}@`;
    this.url = `redis://${auth}${HOST}:${port}`;
    this.logFile = path.join(dir, 'redis.log');
    this.configFile = path.join(dir, 'redis.conf');
  }

  /** Writes the configuration; a file rather than arguments keeps the password out of `ps`. */
  configure(): void {
    const settings = [
      `bind ${HOST}`,
      `port ${this.port}`,
      'protected-mode yes',
      'daemonize no',
      'save ""',
      ...(this.persistent ? ['appendonly yes', 'appendfsync always'] : ['appendonly no']),
      `dir ${confString(this.dir)}`,
      'logfile ""',
      ...(this.password === undefined ? [] : [`requirepass ${confString(this.password)}`]),
    ];
    fs.writeFileSync(this.configFile, `${settings.join('\n')}\n`, { mode: 0o600 });
  }

  async start(): Promise<void> {
    if (this.daemon) throw new Error(`redis-server on port ${this.port} is already running: stop() it first`);
    const daemon = startDaemon(this.program, [this.configFile], { cwd: this.dir, logFile: this.logFile });
    this.daemon = daemon;
    try {
      await daemon.waitUntilReady(() => ping(this.port, this.password), this.startTimeoutMs);
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
    await daemon.stop('SIGTERM', 10_000);
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
 * Starts `redis-server` for one test file on a free port of 127.0.0.1, with protected mode on
 * and persistence off. Call `destroy()` in afterAll.
 */
export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  if (options.password === '') {
    throw new Error("`password` must not be empty (got ''): leave it out for a server without one");
  }
  const program = requireProgram('redis-server', 'the Debian package redis-server');
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpenv-redis-'));
  // Registered before the server starts, so it runs after the server has been killed.
  const cancelRemoveOnExit = onExit(() => fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 }));
  const server = new LocalRedis(
    program,
    dir,
    port,
    options.password,
    options.persistent ?? false,
    options.startTimeoutMs ?? 30_000,
    cancelRemoveOnExit,
  );
  try {
    server.configure();
    await server.start();
    return server;
  } catch (error) {
    await server.destroy();
    throw error;
  }
}
