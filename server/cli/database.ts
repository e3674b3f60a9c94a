import pino from 'pino';
import type { DatabaseConfig } from '../config';
import type { PostgresPool } from '../store/sql';

/** Opens a one-connection pool from the database settings, runs `fn`, and always closes it. */
export async function withDatabase<T>(
  config: DatabaseConfig,
  fn: (db: PostgresPool) => Promise<T>,
): Promise<T> {
  const { PostgresPool } = await import('../store/sql.js');
  const db = new PostgresPool({
    ...(config.databaseUrl === undefined ? {} : { url: config.databaseUrl }),
    ...(config.postgresEndpoint ? { endpoint: config.postgresEndpoint } : {}),
    max: 1,
    connectTimeoutMs: config.pg.connectTimeoutMs,
    statementTimeoutMs: config.pg.statementTimeoutMs,
    idleTimeoutMs: config.pg.idleTimeoutMs,
    logger: pino({ level: config.logLevel }, process.stderr),
  });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}
