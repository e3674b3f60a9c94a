import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { SqlClient, SqlSession } from './sql';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * The schema, one step per version. Never edit a released step: add a new one. The runner
 * refuses to continue when an applied step's checksum no longer matches.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'memories',
    sql: `
      CREATE TABLE memories (
        tenant     text        NOT NULL,
        id         uuid        NOT NULL,
        text       text        NOT NULL,
        tags       text[]      NOT NULL DEFAULT '{}',
        metadata   jsonb       NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        search     tsvector    GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
        PRIMARY KEY (tenant, id)
      );
      CREATE INDEX memories_search_idx ON memories USING gin (search);
      CREATE INDEX memories_tags_idx ON memories USING gin (tags);
      CREATE INDEX memories_recent_idx ON memories (tenant, created_at DESC, id DESC);
    `,
  },
  {
    version: 2,
    name: 'api_keys',
    sql: `
      CREATE TABLE api_keys (
        id          text        PRIMARY KEY,
        tenant      text        NOT NULL,
        name        text        NOT NULL,
        secret_hash bytea       NOT NULL,
        scopes      text[]      NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        revoked_at  timestamptz
      );
      CREATE INDEX api_keys_tenant_idx ON api_keys (tenant);
    `,
  },
];

/** The schema version this build of the server needs. */
export const LATEST_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

/** Serializes migration runs across every replica and Job: a fixed advisory lock key. */
const MIGRATION_LOCK_KEY = 0x6d6370656e76; // "mcpenv"

const checksum = (migration: Migration) => createHash('sha256').update(migration.sql).digest('hex');

async function ensureLedger(session: SqlSession) {
  await session.query(`
    CREATE TABLE IF NOT EXISTS mcpenv_schema_migrations (
      version    integer     PRIMARY KEY,
      name       text        NOT NULL,
      checksum   text        NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
}

export interface MigrationResult {
  readonly applied: readonly number[];
  readonly version: number;
}

/**
 * Brings the schema to `LATEST_VERSION`. Safe to run from many processes at once (they queue on
 * an advisory lock) and any number of times (applied steps are skipped). Each step runs in its
 * own transaction together with its ledger row.
 */
export async function migrate(
  db: SqlClient,
  logger: Logger,
  migrations = MIGRATIONS,
): Promise<MigrationResult> {
  return db.withSession(async (session) => {
    // Migrations may legitimately run longer than the pool's statement timeout.
    await session.query('SET statement_timeout = 0');
    await session.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await ensureLedger(session);
      const { rows } = await session.query<{ version: number; checksum: string }>(
        'SELECT version, checksum FROM mcpenv_schema_migrations ORDER BY version',
      );
      const applied = new Map(rows.map((row) => [row.version, row.checksum]));
      for (const migration of migrations) {
        const recorded = applied.get(migration.version);
        if (recorded !== undefined && recorded !== checksum(migration)) {
          throw new Error(
            `migration ${migration.version} (${migration.name}) changed after it was applied: ` +
              'restore its original SQL and add a new migration instead',
          );
        }
      }
      const done: number[] = [];
      for (const migration of migrations) {
        if (applied.has(migration.version)) continue;
        await session.query('BEGIN');
        try {
          await session.exec(migration.sql);
          await session.query(
            'INSERT INTO mcpenv_schema_migrations (version, name, checksum) VALUES ($1, $2, $3)',
            [migration.version, migration.name, checksum(migration)],
          );
          await session.query('COMMIT');
        } catch (error) {
          await session.query('ROLLBACK');
          throw new Error(
            `migration ${migration.version} (${migration.name}) failed: ${(error as Error).message}`,
          );
        }
        logger.info({ version: migration.version, name: migration.name }, 'migration applied');
        done.push(migration.version);
      }
      const version = Math.max(0, ...applied.keys(), ...done);
      return { applied: done, version };
    } finally {
      await session.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      await session.query('RESET statement_timeout');
    }
  });
}

/** The highest applied schema version, or 0 before the first migration. */
export async function schemaVersion(db: SqlClient): Promise<number> {
  const ledger = await db.query<{ exists: boolean }>(
    "SELECT to_regclass('mcpenv_schema_migrations') IS NOT NULL AS exists",
  );
  if (!ledger.rows[0]?.exists) return 0;
  const { rows } = await db.query<{ version: number | null }>(
    'SELECT max(version) AS version FROM mcpenv_schema_migrations',
  );
  return Number(rows[0]?.version ?? 0);
}
