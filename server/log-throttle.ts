import type { Logger } from 'pino';

/** How often one repeated warning may be written. */
export const LOG_THROTTLE_MS = 10_000;

/**
 * A logger for conditions that repeat on every request or write while a dependency is down: one
 * line per message per interval, carrying how many were held back since the last one, instead
 * of a line each (thousands a minute during an outage).
 */
export function throttledLog(logger: Logger, intervalMs = LOG_THROTTLE_MS) {
  const state = new Map<string, { last: number; held: number }>();
  const write =
    (level: 'warn' | 'error') =>
    (fields: Record<string, unknown>, message: string): void => {
      const key = `${level}:${message}`;
      const now = Date.now();
      const entry = state.get(key);
      if (entry && entry.last > now - intervalMs) {
        entry.held += 1;
        return;
      }
      logger[level]({ ...fields, ...(entry?.held ? { repeatedSinceLast: entry.held } : {}) }, message);
      state.set(key, { last: now, held: 0 });
    };
  return { warn: write('warn'), error: write('error') };
}
