import { AsyncLocalStorage } from 'node:async_hooks';
import type { ServerEvent, ServerEventBus } from '@modelcontextprotocol/server';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { throttledLog } from '../log-throttle';

/**
 * The tenant of the request being served. The MCP handler runs inside it, so a
 * `subscriptions/listen` stream registers its listener under the tenant that opened it.
 */
export const requestTenant = new AsyncLocalStorage<string>();

type Listener = (event: ServerEvent) => void;

/** A change to a tenant's data, as it travels between replicas. */
export interface TenantEvent {
  readonly tenant: string;
  readonly event: ServerEvent;
}

/**
 * The event bus `subscriptions/listen` streams subscribe to, scoped by tenant: a change to one
 * tenant's memories reaches only that tenant's listeners, so no tenant learns of another's ids
 * or activity. `publish` without a tenant (the SDK's `notify` sugar) reaches every listener and
 * is meant for changes that concern everyone, such as the tool list.
 */
export class TenantEventBus implements ServerEventBus {
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(private readonly onerror: (error: Error) => void) {}

  subscribe(listener: Listener): () => void {
    const tenant = requestTenant.getStore();
    if (tenant === undefined) throw new Error('a listen stream must open inside a request of a known tenant');
    let set = this.listeners.get(tenant);
    if (!set) {
      set = new Set();
      this.listeners.set(tenant, set);
    }
    set.add(listener);
    return () => {
      const current = this.listeners.get(tenant);
      if (!current?.delete(listener)) return;
      if (current.size === 0) this.listeners.delete(tenant);
    };
  }

  publish(event: ServerEvent): void {
    for (const set of this.listeners.values()) this.dispatch(set, event);
  }

  /** Delivers one tenant's change to the listen streams this replica holds for that tenant. */
  deliver({ tenant, event }: TenantEvent): void {
    const set = this.listeners.get(tenant);
    if (set) this.dispatch(set, event);
  }

  /** Open listen streams on this replica. */
  get listenerCount(): number {
    let count = 0;
    for (const set of this.listeners.values()) count += set.size;
    return count;
  }

  private dispatch(set: ReadonlySet<Listener>, event: ServerEvent): void {
    for (const listener of [...set]) {
      try {
        listener(event);
      } catch (error) {
        this.onerror(error as Error);
      }
    }
  }
}

/** How a replica tells the others (and itself) that a tenant's data changed. */
export interface ChangeRelay {
  announce(change: TenantEvent): void;
  close(): Promise<void>;
}

/** Embedded mode: one process, so changes go straight to the local bus. */
export class LocalChangeRelay implements ChangeRelay {
  constructor(private readonly bus: TenantEventBus) {}

  announce(change: TenantEvent): void {
    this.bus.deliver(change);
  }

  async close(): Promise<void> {}
}

const CHANNEL = 'mcp:changes:v1';

function parseChange(raw: string): TenantEvent | undefined {
  try {
    const value = JSON.parse(raw) as { tenant?: unknown; event?: { kind?: unknown; uri?: unknown } };
    if (typeof value.tenant !== 'string' || typeof value.event?.kind !== 'string') return undefined;
    const { kind, uri } = value.event;
    if (kind === 'resource_updated') {
      return typeof uri === 'string' ? { tenant: value.tenant, event: { kind, uri } } : undefined;
    }
    if (
      kind === 'resources_list_changed' ||
      kind === 'tools_list_changed' ||
      kind === 'prompts_list_changed'
    ) {
      return { tenant: value.tenant, event: { kind } };
    }
  } catch {
    // not ours: ignored below
  }
  return undefined;
}

/**
 * Replicas reach each other through Redis pub/sub on one channel. A change is published and
 * delivered to local listeners when it comes back from Redis, so every replica (this one
 * included) sees it once. While Redis is unreachable a change reaches this replica's listeners
 * only; the subscriber reconnects and resubscribes on its own when Redis returns. Pub/sub is
 * at-most-once: a change announced while Redis is down never reaches the other replicas (their
 * clients re-list on their next request, as the notification only says "look again").
 */
export class RedisChangeRelay implements ChangeRelay {
  private readonly subscriber: Redis;
  private subscribed = false;
  /** One line per interval while Redis is down, not one per write. */
  private readonly warnings: ReturnType<typeof throttledLog>;

  constructor(
    private readonly redis: Redis,
    private readonly bus: TenantEventBus,
    logger: Logger,
  ) {
    // A subscribed connection can do nothing else: it gets one of its own, with an offline
    // queue so the SUBSCRIBE waits for the connection instead of failing.
    this.warnings = throttledLog(logger);
    this.subscriber = redis.duplicate({ enableOfflineQueue: true, lazyConnect: true });
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== CHANNEL) return;
      const change = parseChange(message);
      if (change) this.bus.deliver(change);
    });
    this.subscriber.on('ready', () => {
      if (!this.subscribed) logger.info('change notifications: subscribed to Redis');
      this.subscribed = true;
    });
    this.subscriber.on('error', () => {
      this.subscribed = false;
    });
    this.subscriber.connect().catch(() => {
      // retried by ioredis; 'ready' reports success
    });
    void this.subscriber.subscribe(CHANNEL).catch((error: Error) => {
      logger.warn({ err: error.message }, 'change notifications: cannot subscribe yet; retrying');
    });
  }

  announce(change: TenantEvent): void {
    if (this.redis.status !== 'ready' || !this.subscribed) {
      this.bus.deliver(change);
      return;
    }
    this.redis.publish(CHANNEL, JSON.stringify(change)).catch((error: Error) => {
      this.warnings.warn(
        { err: error.message },
        'change notification not relayed: delivered on this replica only',
      );
      this.bus.deliver(change);
    });
  }

  async close(): Promise<void> {
    try {
      await this.subscriber.quit();
    } catch {
      // not connected
    } finally {
      this.subscriber.disconnect();
    }
  }
}
