import type { PGlite } from '@electric-sql/pglite';
import { Client, Pool, type PoolClient } from 'pg';
import type { Logger } from 'pino';
import type { PostgresEndpoint } from '../config';

/** The few things the server needs from Postgres, whether a pg pool or embedded PGlite. */
export interface SqlSession {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<{ rows: Row[] }>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface SqlClient extends SqlSession {
  /** Runs `fn` on one connection (session-level state such as advisory locks stays with it). */
  withSession<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  /** Checks the database answers within `timeoutMs`. */
  ping(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface PostgresPoolOptions {
  /** Connection URL; give this or `endpoint`. */
  readonly url?: string;
  /** The connection by parts (from the PG* variables). */
  readonly endpoint?: PostgresEndpoint;
  readonly max: number;
  readonly connectTimeoutMs: number;
  readonly statementTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly logger: Logger;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** pg settings for an endpoint, with libpq's meaning of the SSL modes. */
function endpointSettings(endpoint: PostgresEndpoint) {
  const ssl =
    endpoint.sslMode === 'disable'
      ? false
      : endpoint.sslMode === 'verify-ca' || endpoint.sslMode === 'verify-full'
        ? {
            rejectUnauthorized: true,
            ...(endpoint.sslMode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
          }
        : { rejectUnauthorized: false };
  return {
    host: endpoint.host,
    port: endpoint.port,
    ...(endpoint.database ? { database: endpoint.database } : {}),
    ...(endpoint.user ? { user: endpoint.user } : {}),
    ...(endpoint.password ? { password: endpoint.password } : {}),
    ssl,
  };
}

/** A pg connection pool with limits and timeouts; broken connections are dropped, not fatal. */
/** A channel name that needs no quoting in LISTEN. */
const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

export class PostgresPool implements SqlClient {
  private readonly pool: Pool;
  private readonly connection: Record<string, unknown>;

  constructor(private readonly options: PostgresPoolOptions) {
    this.connection = {
      ...(options.url === undefined ? {} : { connectionString: options.url }),
      ...(options.endpoint ? endpointSettings(options.endpoint) : {}),
    };
    this.pool = new Pool({
      ...this.connection,
      max: options.max,
      connectionTimeoutMillis: options.connectTimeoutMs,
      idleTimeoutMillis: options.idleTimeoutMs,
      statement_timeout: options.statementTimeoutMs,
      query_timeout: options.statementTimeoutMs + 1000,
      application_name: 'mcpenv-server',
      keepAlive: true,
    });
    // An idle client losing its connection (e.g. Postgres restarting) must not crash the process.
    this.pool.on('error', (error) =>
      options.logger.warn({ err: error.message }, 'idle Postgres connection lost'),
    );
  }

  query<Row>(sql: string, params: readonly unknown[] = []) {
    return this.pool.query(sql, params as unknown[]) as unknown as Promise<{ rows: Row[] }>;
  }

  async exec(sql: string) {
    // Without parameters pg uses the simple query protocol, which accepts several statements.
    await this.pool.query(sql);
  }

  async withSession<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
    const client: PoolClient = await this.pool.connect();
    let broken: Error | undefined;
    try {
      return await fn({
        query: <Row>(sql: string, params: readonly unknown[] = []) =>
          client.query(sql, params as unknown[]) as unknown as Promise<{ rows: Row[] }>,
        exec: async (sql: string) => {
          await client.query(sql);
        },
      });
    } catch (error) {
      broken = error as Error;
      throw error;
    } finally {
      // Session state (locks, SET) must not leak to the next borrower: discard on error.
      client.release(broken);
    }
  }

  /**
   * Listens on a NOTIFY channel over a connection of its own (outside the pool), reconnecting
   * after a second whenever it is lost. `onState` says when notifications can (true) or cannot
   * (false) arrive.
   */
  listen(
    channel: string,
    onMessage: (payload: string) => void,
    onState: (listening: boolean) => void = () => {},
  ): { close(): Promise<void> } {
    if (!CHANNEL.test(channel)) throw new Error(`not a channel name: ${channel}`);
    let closed = false;
    let current: Client | undefined;
    let retry: NodeJS.Timeout | undefined;
    const open = async () => {
      const client = new Client({
        ...this.connection,
        connectionTimeoutMillis: this.options.connectTimeoutMs,
        application_name: 'mcpenv-server-listen',
        keepAlive: true,
      });
      current = client;
      let lost = false;
      const reconnect = (error?: Error) => {
        if (lost) return;
        lost = true;
        onState(false);
        if (error && !closed) {
          this.options.logger.warn({ err: error.message, channel }, 'Postgres notifications lost: retrying');
        }
        void client.end().catch(() => {});
        if (!closed) retry = setTimeout(() => void open(), 1000);
      };
      client.on('error', reconnect);
      client.on('end', () => reconnect());
      client.on('notification', (message) => {
        if (message.channel === channel && message.payload !== undefined) onMessage(message.payload);
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${channel}`);
        if (closed) {
          await client.end();
          return;
        }
        onState(true);
      } catch (error) {
        reconnect(error as Error);
      }
    };
    void open();
    return {
      close: async () => {
        closed = true;
        clearTimeout(retry);
        onState(false);
        await current?.end().catch(() => {});
      },
    };
  }

  async ping(timeoutMs: number) {
    await withTimeout(this.pool.query('SELECT 1'), timeoutMs, 'Postgres health check');
  }

  close() {
    return this.pool.end();
  }
}

/** Embedded Postgres (PGlite, WebAssembly) in the server process: one session, no network. */
export class EmbeddedPostgres implements SqlClient {
  private constructor(private readonly db: Pick<PGlite, 'query' | 'exec' | 'close'>) {}

  /** Opens PGlite in memory, or in `dataDir` to keep data across restarts. */
  static async open(dataDir?: string): Promise<EmbeddedPostgres> {
    const { PGlite } = await import('@electric-sql/pglite');
    const db = await PGlite.create(dataDir ? { dataDir } : {});
    return new EmbeddedPostgres(db);
  }

  query<Row>(sql: string, params: readonly unknown[] = []) {
    return this.db.query<Row>(sql, params as unknown[]);
  }

  async exec(sql: string) {
    await this.db.exec(sql);
  }

  withSession<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
    return fn(this);
  }

  async ping(timeoutMs: number) {
    await withTimeout(this.db.query('SELECT 1'), timeoutMs, 'PGlite health check');
  }

  close() {
    return this.db.close();
  }
}
