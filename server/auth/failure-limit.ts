import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { throttledLog } from '../log-throttle';
import { makeRoom } from '../bounded-map';

export interface AuthFailureLimiterOptions {
  /** Requests one client address may have refused (401) per minute, across all replicas. */
  readonly perMinute: number;
  /** Shared counters; in-process counters when absent or while it fails. */
  readonly redis?: Redis;
  readonly logger: Logger;
  /** The clock, for tests. */
  readonly now?: () => number;
}

const WINDOW_MS = 60_000;
/** Addresses remembered per replica, blocked or counting; the oldest go first beyond this. */
const MAX_TRACKED = 10_000;
const KEY_PREFIX = 'mcp:authfail:v1:';

/**
 * Limits requests refused for want of valid credentials, per client address, in fixed one-minute
 * windows counted in Redis (so every replica spends one budget). Past the budget an address is
 * refused with 429 before its credentials are checked or its body is read, until the window ends:
 * a client probing keys or sending bodies without any costs neither Postgres nor the event loop.
 *
 * A replica learns an address is over budget the moment one of its own refusals counts past it;
 * it then answers that address from memory, without a Redis round trip.
 */
export class AuthFailureLimiter {
  private readonly blockedUntil = new Map<string, number>();
  /** Fallback counts while Redis is unreachable: window start and count per address. */
  private readonly local = new Map<string, { window: number; count: number }>();
  private readonly outageLog: ReturnType<typeof throttledLog>;
  private readonly now: () => number;

  constructor(private readonly options: AuthFailureLimiterOptions) {
    this.outageLog = throttledLog(options.logger);
    this.now = options.now ?? Date.now;
  }

  get perMinute(): number {
    return this.options.perMinute;
  }

  /** Seconds until `address` may try again, when it is over budget; otherwise undefined. */
  retryAfter(address: string): number | undefined {
    const until = this.blockedUntil.get(address);
    if (until === undefined) return undefined;
    const left = until - this.now();
    if (left <= 0) {
      this.blockedUntil.delete(address);
      return undefined;
    }
    return Math.max(1, Math.ceil(left / 1000));
  }

  /**
   * Counts one refusal of `address`. Resolves with the seconds to wait when this refusal went past
   * the budget (the caller answers 429 instead), otherwise undefined.
   */
  async record(address: string): Promise<number | undefined> {
    const now = this.now();
    const window = Math.floor(now / WINDOW_MS);
    const count = await this.count(address, window);
    if (count <= this.options.perMinute) return undefined;
    makeRoom(this.blockedUntil, MAX_TRACKED);
    this.blockedUntil.set(address, (window + 1) * WINDOW_MS);
    return this.retryAfter(address) ?? 1;
  }

  private async count(address: string, window: number): Promise<number> {
    const { redis } = this.options;
    if (redis && redis.status === 'ready') {
      const key = `${KEY_PREFIX}${window}:${address}`;
      try {
        const replies = await redis
          .multi()
          .incr(key)
          .pexpire(key, WINDOW_MS * 2)
          .exec();
        const [error, value] = replies?.[0] ?? [new Error('no reply'), undefined];
        if (error) throw error;
        return Number(value);
      } catch (error) {
        this.outageLog.warn(
          { err: (error as Error).message },
          'auth failure limit: Redis unavailable, counting on this replica',
        );
      }
    }
    const entry = this.local.get(address);
    if (entry && entry.window === window) {
      entry.count += 1;
      return entry.count;
    }
    makeRoom(this.local, MAX_TRACKED);
    this.local.delete(address);
    this.local.set(address, { window, count: 1 });
    return 1;
  }
}
