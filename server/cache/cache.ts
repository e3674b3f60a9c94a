import { throttledLog } from '../log-throttle';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * A read-through cache whose entries belong to a tenant *generation*. Every write to a tenant's
 * data bumps its generation before the write is acknowledged; readers look entries up under the
 * current generation, so no reader can see data older than an acknowledged write, even when a
 * slow reader stores a stale value after the write: it lands under a generation nobody reads.
 */
export interface Cache {
  /** A cached value, or a miss carrying the generation to store the fresh value under. */
  read(tenant: string, key: string): Promise<CacheRead>;
  /** Stores `value` under `generation`; a no-op if the generation is unknown. */
  write(tenant: string, generation: string | undefined, key: string, value: string): Promise<void>;
  /** Bumps the tenant's generation: call after the database write commits, before replying. */
  invalidate(tenant: string): Promise<void>;
}

export type CacheRead =
  | { readonly hit: true; readonly value: string }
  | { readonly hit: false; readonly generation: string | undefined };

/** In-process cache for the embedded mode (one process, so a local generation is enough). */
export class LocalCache implements Cache {
  private readonly generations = new Map<string, number>();
  private readonly entries = new Map<string, { value: string; expires: number }>();

  constructor(
    private readonly ttlSeconds: number,
    private readonly maxEntries = 10_000,
  ) {}

  private entryKey(tenant: string, generation: number, key: string) {
    return `${tenant}\u0000${generation}\u0000${key}`;
  }

  async read(tenant: string, key: string): Promise<CacheRead> {
    const generation = this.generations.get(tenant) ?? 0;
    const full = this.entryKey(tenant, generation, key);
    const entry = this.entries.get(full);
    if (entry && entry.expires > Date.now()) return { hit: true, value: entry.value };
    if (entry) this.entries.delete(full);
    return { hit: false, generation: String(generation) };
  }

  async write(tenant: string, generation: string | undefined, key: string, value: string) {
    if (generation === undefined) return;
    if (this.entries.size >= this.maxEntries) {
      // Maps iterate in insertion order: drop the oldest entry.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(this.entryKey(tenant, Number(generation), key), {
      value,
      expires: Date.now() + this.ttlSeconds * 1000,
    });
  }

  async invalidate(tenant: string) {
    this.generations.set(tenant, (this.generations.get(tenant) ?? 0) + 1);
  }
}

/** Reads the generation and the entry in one round trip. */
const READ_SCRIPT = `
local generation = redis.call('GET', KEYS[1]) or '0'
return { generation, redis.call('GET', ARGV[1] .. generation .. ARGV[2]) }
`;

/**
 * The Redis cache shared by every replica. Redis being down never fails a request: reads miss,
 * writes are skipped, and generation bumps that could not be made are kept and replayed before
 * this replica uses the cache again.
 */
export class RedisCache implements Cache {
  /** Tenants whose generation bump failed; the cache is bypassed until they are replayed. */
  private readonly pendingInvalidations = new Set<string>();
  /**
   * The Redis server process this replica talks to (its `run_id`), part of every key. A restart
   * (with its data kept, or a failover) changes it, so entries and generations from before are
   * never read again by any replica, including ones that missed invalidations meanwhile.
   * Unknown (the cache bypassed) from a lost connection until the new one is identified.
   */
  private epoch: string | undefined;
  /** One line per interval while Redis is down, not one per write. */
  private readonly warnings: ReturnType<typeof throttledLog>;

  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
    private readonly logger: Logger,
    private readonly prefix = 'mcp:cache:',
  ) {
    redis.defineCommand('mcpCacheRead', { numberOfKeys: 1, lua: READ_SCRIPT });
    this.warnings = throttledLog(logger);
    for (const lost of ['close', 'end', 'reconnecting', 'error']) {
      redis.on(lost, () => {
        this.epoch = undefined;
      });
    }
    redis.on('ready', () => void this.identify());
    if (redis.status === 'ready') void this.identify();
  }

  /** Learns which Redis process answers now; replays failed bumps before using the cache. */
  private async identify(): Promise<void> {
    try {
      const info = await this.redis.info('server');
      const runId = /^run_id:([0-9a-f]+)\r?$/m.exec(info)?.[1];
      if (!runId) return;
      this.epoch = undefined;
      await this.replayPending(runId);
      this.epoch = runId;
    } catch (error) {
      this.logger.debug({ err: (error as Error).message }, 'cache epoch unknown: cache bypassed');
    }
  }

  private generationKey(tenant: string, epoch: string) {
    return `${this.prefix}{${tenant}}:${epoch}:gen`;
  }

  private entryPrefix(tenant: string, epoch: string) {
    return `${this.prefix}{${tenant}}:${epoch}:g`;
  }

  /** Replays failed generation bumps; true when none is left. */
  private async replayPending(epoch: string): Promise<boolean> {
    for (const tenant of [...this.pendingInvalidations]) {
      await this.redis.incr(this.generationKey(tenant, epoch));
      this.pendingInvalidations.delete(tenant);
    }
    return true;
  }

  async read(tenant: string, key: string): Promise<CacheRead> {
    const epoch = this.epoch;
    if (epoch === undefined) return { hit: false, generation: undefined };
    try {
      if (this.pendingInvalidations.size > 0) await this.replayPending(epoch);
      const [generation, value] = (await (
        this.redis as unknown as { mcpCacheRead(...args: string[]): Promise<[string, string | null]> }
      ).mcpCacheRead(this.generationKey(tenant, epoch), this.entryPrefix(tenant, epoch), `:${key}`)) as [
        string,
        string | null,
      ];
      // The generation carries its epoch, so a write lands in the epoch it was read in.
      return value === null ? { hit: false, generation: `${epoch}/${generation}` } : { hit: true, value };
    } catch (error) {
      this.logger.debug({ err: (error as Error).message }, 'cache read skipped');
      return { hit: false, generation: undefined };
    }
  }

  async write(tenant: string, generation: string | undefined, key: string, value: string) {
    if (generation === undefined || this.pendingInvalidations.size > 0) return;
    const [epoch, number] = generation.split('/');
    if (epoch === undefined || epoch !== this.epoch || number === undefined) return;
    try {
      await this.redis.set(
        `${this.entryPrefix(tenant, epoch)}${number}:${key}`,
        value,
        'EX',
        this.ttlSeconds,
      );
    } catch (error) {
      this.logger.debug({ err: (error as Error).message }, 'cache write skipped');
    }
  }

  async invalidate(tenant: string) {
    const epoch = this.epoch;
    try {
      if (epoch === undefined) throw new Error('the Redis connection is not identified yet');
      await this.redis.incr(this.generationKey(tenant, epoch));
    } catch (error) {
      this.pendingInvalidations.add(tenant);
      this.warnings.warn(
        { err: (error as Error).message },
        'cache invalidation deferred until Redis answers',
      );
    }
  }
}
