import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SqlClient } from '../store/sql';
import { makeRoom } from '../bounded-map';

/**
 * API keys look like `mcpk_<id>_<secret>`. Only a SHA-256 hash of the secret is stored (the
 * secret has 256 bits of entropy, so a slow hash adds nothing); the presented secret is
 * compared with `timingSafeEqual`. The id is not secret: it names the key in logs and limits.
 */
const KEY_FORMAT = /^mcpk_([a-z0-9]{16})_([A-Za-z0-9_-]{43})$/;

export interface ApiKeyRecord {
  readonly id: string;
  readonly tenant: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly createdAt: string;
  readonly revokedAt?: string;
}

export type ApiKeyCheck =
  | { readonly ok: true; readonly key: ApiKeyRecord }
  | { readonly ok: false; readonly reason: 'malformed_token' | 'unknown_key' | 'revoked_key' };

/** The NOTIFY channel a revocation announces itself on. */
export const REVOCATION_CHANNEL = 'mcp_api_key_revoked';

const hashSecret = (secret: string) => createHash('sha256').update(secret).digest();
/** Compared against when the id is unknown, so both paths take the same time. */
const DUMMY_HASH = hashSecret('mcpenv-no-such-key');

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith('mcpk_');
}

interface Row {
  id: string;
  tenant: string;
  name: string;
  secret_hash: Buffer | Uint8Array;
  scopes: string[];
  created_at: Date | string;
  revoked_at: Date | string | null;
}

const toRecord = (row: Row): ApiKeyRecord => ({
  id: row.id,
  tenant: row.tenant,
  name: row.name,
  scopes: row.scopes,
  createdAt: new Date(row.created_at).toISOString(),
  ...(row.revoked_at ? { revokedAt: new Date(row.revoked_at).toISOString() } : {}),
});

/**
 * API keys in Postgres, with a short in-process cache of lookups so that a request does not
 * cost a database round trip. A revocation takes effect within `cacheSeconds`.
 *
 * Ids that have no key are remembered apart (for as long), so a client cycling through made-up
 * ids can neither cost a query per request for a repeated id nor push real keys out of the cache.
 * Ids are random, so an id looked up before its key existed is not a case to serve.
 */
export class ApiKeyStore {
  private readonly lookups = new Map<
    string,
    { row: Promise<Row | undefined>; expires: number; settled?: Row }
  >();
  /** Ids with no key, and until when that answer holds. */
  private readonly unknown = new Map<string, number>();
  /** Evictions per key id, so a lookup that started before one is not cached after it. */
  private readonly evictions = new Map<string, number>();

  constructor(
    private readonly db: SqlClient,
    private readonly cacheSeconds = 30,
    private readonly maxCached = 10_000,
  ) {}

  /** Creates a key and returns it in full; this is the only time the secret exists in clear. */
  async create(input: { tenant: string; name: string; scopes: readonly string[] }) {
    const id = randomBytes(10).toString('hex').slice(0, 16);
    const secret = randomBytes(32).toString('base64url');
    const { rows } = await this.db.query<Row>(
      `INSERT INTO api_keys (id, tenant, name, secret_hash, scopes) VALUES ($1, $2, $3, $4, $5)
       RETURNING id, tenant, name, secret_hash, scopes, created_at, revoked_at`,
      [id, input.tenant, input.name, hashSecret(secret), [...input.scopes]],
    );
    return { key: `mcpk_${id}_${secret}`, record: toRecord(rows[0] as Row) };
  }

  /**
   * Revokes a key. Every server listening on {@link REVOCATION_CHANNEL} forgets it the moment
   * the revocation commits (NOTIFY is transactional), wherever the revocation ran.
   */
  async revoke(id: string): Promise<boolean> {
    const { rows } = await this.db.query(
      `WITH revoked AS (
         UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id
       )
       SELECT id, pg_notify('${REVOCATION_CHANNEL}', id) FROM revoked`,
      [id],
    );
    this.evict(id);
    return rows.length > 0;
  }

  /** Forgets what is cached of a key (a revocation elsewhere), including a lookup in flight. */
  evict(id: string): void {
    this.lookups.delete(id);
    this.unknown.delete(id);
    this.evictions.set(id, (this.evictions.get(id) ?? 0) + 1);
    if (this.evictions.size > this.maxCached) this.evictions.clear();
  }

  async list(tenant?: string): Promise<ApiKeyRecord[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT id, tenant, name, secret_hash, scopes, created_at, revoked_at FROM api_keys
        WHERE $1::text IS NULL OR tenant = $1 ORDER BY tenant, created_at, id`,
      [tenant ?? null],
    );
    return rows.map(toRecord);
  }

  /**
   * The key's row, from the cache when fresh. Concurrent lookups of one id share a single query,
   * so a burst of requests with a new key costs one round trip, not one per request.
   */
  private lookup(id: string): Promise<Row | undefined> {
    const cached = this.lookups.get(id);
    if (cached && cached.expires > Date.now()) return cached.row;
    const unknownUntil = this.unknown.get(id);
    if (unknownUntil !== undefined) {
      if (unknownUntil > Date.now()) return Promise.resolve(undefined);
      this.unknown.delete(id);
    }
    const evictionsBefore = this.evictions.get(id) ?? 0;
    const row = this.db
      .query<Row>(
        'SELECT id, tenant, name, secret_hash, scopes, created_at, revoked_at FROM api_keys WHERE id = $1',
        [id],
      )
      .then(({ rows }) => rows[0]);
    makeRoom(this.lookups, this.maxCached);
    this.lookups.delete(id);
    const entry: { row: Promise<Row | undefined>; expires: number; settled?: Row } = {
      row,
      expires: Date.now() + this.cacheSeconds * 1000,
    };
    this.lookups.set(id, entry);
    // A failed lookup must not be remembered: the next request tries again.
    row.then(
      (found) => {
        if (found) entry.settled = found;
        if (!found && this.lookups.get(id)?.row === row) {
          this.lookups.delete(id);
          makeRoom(this.unknown, this.maxCached);
          this.unknown.set(id, Date.now() + this.cacheSeconds * 1000);
          return;
        }
        // Revoked while the lookup ran: answer this request, but do not remember the row.
        if ((this.evictions.get(id) ?? 0) !== evictionsBefore && this.lookups.get(id)?.row === row) {
          this.lookups.delete(id);
        }
      },
      () => {
        if (this.lookups.get(id)?.row === row) this.lookups.delete(id);
      },
    );
    return row;
  }

  /**
   * Checks a key against the cache alone, without waiting or asking Postgres: the result when
   * the key's row is cached, otherwise undefined. For callers that must not cost a query.
   */
  verifyCached(token: string): ApiKeyCheck | undefined {
    const match = KEY_FORMAT.exec(token);
    if (!match) return undefined;
    const [, id, secret] = match as unknown as [string, string, string];
    const cached = this.lookups.get(id);
    if (!cached?.settled || cached.expires <= Date.now()) return undefined;
    return this.check(cached.settled, secret);
  }

  async verify(token: string): Promise<ApiKeyCheck> {
    const match = KEY_FORMAT.exec(token);
    if (!match) return { ok: false, reason: 'malformed_token' };
    const [, id, secret] = match as unknown as [string, string, string];
    return this.check(await this.lookup(id), secret);
  }

  private check(row: Row | undefined, secret: string): ApiKeyCheck {
    const expected = row ? Buffer.from(row.secret_hash) : DUMMY_HASH;
    const matches = timingSafeEqual(hashSecret(secret), expected) && row !== undefined;
    if (!matches || !row) return { ok: false, reason: 'unknown_key' };
    if (row.revoked_at) return { ok: false, reason: 'revoked_key' };
    return { ok: true, key: toRecord(row) };
  }
}
