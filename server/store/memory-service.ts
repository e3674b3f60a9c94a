import { createHash } from 'node:crypto';
import type { Cache } from '../cache/cache';
import type { MemoryRecord, MemoryRepository, NewMemory, SearchPosition, RecentPosition } from './memories';

/** A caller error the tool reports back as such (bad cursor, unknown id), never a server fault. */
export class ToolInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolInputError';
  }
}

export interface SearchPage {
  readonly items: readonly (MemoryRecord & { readonly score: number })[];
  readonly nextCursor?: string;
}

export interface RecentPage {
  readonly items: readonly MemoryRecord[];
  readonly nextCursor?: string;
}

const fingerprint = (value: unknown) =>
  createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 22);

function encodeCursor(payload: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

function decodeCursor(cursor: string): Record<string, unknown> {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (value && typeof value === 'object') return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new ToolInputError(
    'cursor is not one this server issued: pass nextCursor from the previous page unchanged',
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A timestamp as Postgres prints `created_at::text` (what list cursors carry). */
const POSTGRES_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/;
/** A rank as Postgres prints `real::text` (what search cursors carry). */
const POSTGRES_REAL = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/;

/** Postgres's refusal of a query that nests too many negations ("- - - … word"). */
function isTsqueryTooDeep(error: unknown): boolean {
  return error instanceof Error && error.message === 'tsquery stack too small';
}

/**
 * Memories with the read-through cache in front: gets and searches are cached per tenant
 * generation; stores and deletes bump the generation after they commit and before they return.
 */
/** A stored or deleted memory, after the write is committed and the cache invalidated. */
export interface MemoryChange {
  readonly tenant: string;
  readonly id: string;
  readonly kind: 'stored' | 'deleted';
}

export class MemoryService {
  constructor(
    private readonly repository: MemoryRepository,
    private readonly cache: Cache,
    private readonly onChange: (change: MemoryChange) => void = () => {},
  ) {}

  private async cached<T>(tenant: string, key: string, load: () => Promise<T>): Promise<T> {
    const read = await this.cache.read(tenant, key);
    if (read.hit) return JSON.parse(read.value) as T;
    const value = await load();
    await this.cache.write(tenant, read.generation, key, JSON.stringify(value ?? null));
    return value;
  }

  async store(tenant: string, memory: NewMemory): Promise<MemoryRecord> {
    const record = await this.repository.insert(tenant, memory);
    await this.cache.invalidate(tenant);
    this.onChange({ tenant, id: record.id, kind: 'stored' });
    return record;
  }

  async get(tenant: string, id: string): Promise<MemoryRecord | undefined> {
    if (!UUID.test(id)) return undefined;
    return (await this.cached(tenant, `get:${id}`, () => this.repository.get(tenant, id))) ?? undefined;
  }

  async delete(tenant: string, id: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const deleted = await this.repository.delete(tenant, id);
    if (deleted) {
      await this.cache.invalidate(tenant);
      this.onChange({ tenant, id, kind: 'deleted' });
    }
    return deleted;
  }

  async search(
    tenant: string,
    request: { query: string; tags: readonly string[]; limit: number; cursor?: string },
  ): Promise<SearchPage> {
    const tags = [...new Set(request.tags)].sort();
    const scope = fingerprint({ q: request.query, tags });
    let after: SearchPosition | undefined;
    if (request.cursor !== undefined) {
      const cursor = decodeCursor(request.cursor);
      if (
        cursor.s !== scope ||
        typeof cursor.r !== 'string' ||
        !POSTGRES_REAL.test(cursor.r) ||
        typeof cursor.i !== 'string' ||
        !UUID.test(cursor.i)
      ) {
        throw new ToolInputError(
          'cursor belongs to a different query or is damaged: repeat the search without it',
        );
      }
      after = { rank: cursor.r, id: cursor.i };
    }
    const key = `search:${fingerprint({ scope, limit: request.limit, after })}`;
    return this.cached(tenant, key, async () => {
      const rows = await this.repository
        .search(tenant, { text: request.query, tags, limit: request.limit, after })
        .catch((error: unknown) => {
          if (isTsqueryTooDeep(error)) {
            throw new ToolInputError(
              'query nests too many "-" exclusions: use at most 32 "-" in a row, separated or not',
            );
          }
          throw error;
        });
      const page = rows.slice(0, request.limit);
      const last = page[page.length - 1];
      return {
        items: page.map(({ rank, ...record }) => ({ ...record, score: Number(rank) })),
        ...(rows.length > request.limit && last
          ? { nextCursor: encodeCursor({ s: scope, r: last.rank, i: last.id }) }
          : {}),
      };
    });
  }

  /** Newest memories first, for resource listings. Not cached: listings are rare. */
  async recent(tenant: string, request: { limit: number; cursor?: string }): Promise<RecentPage> {
    let after: RecentPosition | undefined;
    if (request.cursor !== undefined) {
      const cursor = decodeCursor(request.cursor);
      if (
        typeof cursor.t !== 'string' ||
        !POSTGRES_TIMESTAMP.test(cursor.t) ||
        typeof cursor.i !== 'string' ||
        !UUID.test(cursor.i)
      ) {
        throw new ToolInputError('cursor is damaged: list again without it');
      }
      after = { createdAt: cursor.t, id: cursor.i };
    }
    const rows = await this.repository.recent(tenant, { limit: request.limit, after });
    const page = rows.slice(0, request.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(({ position: _position, ...record }) => record),
      ...(rows.length > request.limit && last
        ? { nextCursor: encodeCursor({ t: last.position.createdAt, i: last.position.id }) }
        : {}),
    };
  }
}
