import type { PGlite } from '@electric-sql/pglite';
import { Pool, type PoolClient } from 'pg';
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
export class PostgresPool implements SqlClient {
  private readonly pool: Pool;

  constructor(options: PostgresPoolOptions) {
    this.pool = new Pool({
      ...(options.url === undefined ? {} : { connectionString: options.url }),
      ...(options.endpoint ? endpointSettings(options.endpoint) : {}),
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
