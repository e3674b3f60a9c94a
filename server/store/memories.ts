import { randomUUID } from 'node:crypto';
import type { SqlClient } from './sql';

/** One stored memory, as tools and resources return it. */
export interface MemoryRecord {
  readonly id: string;
  readonly text: string;
  readonly tags: readonly string[];
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
}

export interface NewMemory {
  readonly text: string;
  readonly tags: readonly string[];
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** Where a ranked search page ends: the rank as Postgres printed it (exact) and the id. */
export interface SearchPosition {
  readonly rank: string;
  readonly id: string;
}

/** Where a recency listing page ends. */
export interface RecentPosition {
  readonly createdAt: string;
  readonly id: string;
}

export interface SearchHit extends MemoryRecord {
  readonly rank: string;
}

interface Row {
  id: string;
  text: string;
  tags: string[];
  metadata: Record<string, unknown>;
  created_at: Date | string;
  rank?: string;
}

const COLUMNS = 'id::text AS id, text, tags, metadata, created_at';

function toRecord(row: Row): MemoryRecord {
  return {
    id: row.id,
    text: row.text,
    tags: row.tags,
    metadata: row.metadata,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/**
 * Memories in Postgres. Every statement filters on the tenant: a caller can only ever reach
 * its own rows, whatever ids it passes.
 */
export class MemoryRepository {
  constructor(private readonly db: SqlClient) {}

  async insert(tenant: string, memory: NewMemory): Promise<MemoryRecord> {
    const { rows } = await this.db.query<Row>(
      `INSERT INTO memories (tenant, id, text, tags, metadata) VALUES ($1, $2, $3, $4, $5::jsonb)
       RETURNING ${COLUMNS}`,
      [tenant, randomUUID(), memory.text, [...memory.tags], JSON.stringify(memory.metadata)],
    );
    return toRecord(rows[0] as Row);
  }

  async get(tenant: string, id: string): Promise<MemoryRecord | undefined> {
    const { rows } = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM memories WHERE tenant = $1 AND id = $2`,
      [tenant, id],
    );
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  async delete(tenant: string, id: string): Promise<boolean> {
    const { rows } = await this.db.query('DELETE FROM memories WHERE tenant = $1 AND id = $2 RETURNING 1', [
      tenant,
      id,
    ]);
    return rows.length > 0;
  }

  /**
   * Full-text search (web-search syntax: words, "quoted phrases", OR, -exclusions), ranked by
   * cover density, newest id first among equal ranks. Returns `limit + 1` rows at most so the
   * caller can tell whether another page exists.
   */
  async search(
    tenant: string,
    query: { text: string; tags: readonly string[]; limit: number; after?: SearchPosition },
  ): Promise<SearchHit[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT ${COLUMNS}, rank::text AS rank
         FROM (SELECT m.*, ts_rank_cd(m.search, q) AS rank
                 FROM memories m, websearch_to_tsquery('english', $2) q
                WHERE m.tenant = $1 AND m.search @@ q AND m.tags @> $3::text[]) ranked
        WHERE $4::real IS NULL OR (rank, id) < ($4::real, $5::uuid)
        ORDER BY rank DESC, id DESC
        LIMIT $6`,
      [
        tenant,
        query.text,
        [...query.tags],
        query.after?.rank ?? null,
        query.after?.id ?? null,
        query.limit + 1,
      ],
    );
    return rows.map((row) => ({ ...toRecord(row), rank: String(row.rank) }));
  }

  /**
   * The tenant's memories, newest first; `limit + 1` rows at most. Each carries its position
   * with the timestamp at full (microsecond) precision, so pages neither skip nor repeat rows.
   */
  async recent(
    tenant: string,
    query: { limit: number; after?: RecentPosition },
  ): Promise<(MemoryRecord & { position: RecentPosition })[]> {
    const { rows } = await this.db.query<Row & { created_exact: string }>(
      `SELECT ${COLUMNS}, created_at::text AS created_exact FROM memories
        WHERE tenant = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
        ORDER BY created_at DESC, id DESC
        LIMIT $4`,
      [tenant, query.after?.createdAt ?? null, query.after?.id ?? null, query.limit + 1],
    );
    return rows.map((row) => ({ ...toRecord(row), position: { createdAt: row.created_exact, id: row.id } }));
  }
}
