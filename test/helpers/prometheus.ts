import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { type Daemon, onExit, requireProgram, startDaemon } from './programs';
import { freePort } from './ports';

/** One scrape target on loopback with the target labels service discovery would give it. */
export interface ScrapeTarget {
  /** `127.0.0.1:<port>` */
  readonly address: string;
  /** Becomes the `job` label. */
  readonly job: string;
  /** Further target labels, e.g. `namespace` and `pod` as the Prometheus Operator sets them. */
  readonly labels?: Readonly<Record<string, string>>;
}

export interface PrometheusOptions {
  readonly targets: readonly ScrapeTarget[];
  /** Rule files to load, copied into the server's folder. */
  readonly ruleFiles?: readonly string[];
  /** Scrape and rule evaluation interval. @default 1 */
  readonly intervalSeconds?: number;
  /** @default 30_000 */
  readonly startTimeoutMs?: number;
}

/** One series of an instant or range query. */
export interface QuerySeries {
  readonly metric: Record<string, string>;
  /** Instant queries. */
  readonly value?: [number, string];
  /** Range queries. */
  readonly values?: [number, string][];
}

/** A rule as `/api/v1/rules` reports it. */
export interface RuleState {
  readonly name: string;
  readonly type: 'alerting' | 'recording';
  readonly health: string;
  readonly lastError?: string;
  /** Alerting rules only. */
  readonly state?: 'inactive' | 'pending' | 'firing';
  readonly alerts?: {
    labels: Record<string, string>;
    annotations?: Record<string, string>;
    state: string;
    value: string;
  }[];
}

/** A Prometheus server run by a test; `destroy()` stops it and removes its folder. */
export interface PrometheusServer {
  readonly url: string;
  readonly intervalSeconds: number;
  /** An instant query; throws with Prometheus's error for a bad expression. */
  query(expr: string, time?: number): Promise<QuerySeries[]>;
  /** A range query; throws with Prometheus's error for a bad expression. */
  queryRange(expr: string, start: number, end: number, stepSeconds: number): Promise<QuerySeries[]>;
  /** Every rule of every loaded group, with its health and state. */
  rules(): Promise<RuleState[]>;
  /** Polls `check` every interval until it returns a value, or throws after `timeoutMs` naming `what`. */
  waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T>;
  destroy(): Promise<void>;
}

interface ApiResponse<T> {
  status: 'success' | 'error';
  data?: T;
  errorType?: string;
  error?: string;
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function api<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as ApiResponse<T>;
  if (body.status !== 'success' || body.data === undefined) {
    throw new Error(`Prometheus ${res.status} ${body.errorType ?? ''}: ${body.error ?? 'no data'}`);
  }
  return body.data;
}

/**
 * Starts the Debian package's `prometheus` on a free port of 127.0.0.1, scraping `targets` and
 * evaluating `ruleFiles` every `intervalSeconds`, with its TSDB in a temporary folder.
 */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const program = requireProgram('prometheus', 'the Debian package prometheus');
  const interval = options.intervalSeconds ?? 1;
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpenv-prometheus-'));
  const cancelRemoveOnExit = onExit(() => fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 }));
  const ruleFiles = (options.ruleFiles ?? []).map((file, index) => {
    const copy = path.join(dir, `rules-${index}.yaml`);
    fs.copyFileSync(file, copy);
    return copy;
  });
  const byJob = new Map<string, ScrapeTarget[]>();
  for (const target of options.targets) byJob.set(target.job, [...(byJob.get(target.job) ?? []), target]);
  const config = {
    global: {
      scrape_interval: `${interval}s`,
      evaluation_interval: `${interval}s`,
      scrape_timeout: `${interval}s`,
    },
    rule_files: ruleFiles,
    scrape_configs: [...byJob].map(([job, targets]) => ({
      job_name: job,
      static_configs: targets.map((target) => ({ targets: [target.address], labels: { ...target.labels } })),
    })),
  };
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), stringify(config));
  const url = `http://127.0.0.1:${port}`;
  const daemon: Daemon = startDaemon(
    program,
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ],
    { cwd: dir, logFile: path.join(dir, 'prometheus.log') },
  );

  const server: PrometheusServer = {
    url,
    intervalSeconds: interval,
    query: async (expr, time) => {
      const form = new URLSearchParams({
        query: expr,
        ...(time !== undefined ? { time: String(time) } : {}),
      });
      return (await api<{ result: QuerySeries[] }>(`${url}/api/v1/query`, { method: 'POST', body: form }))
        .result;
    },
    queryRange: async (expr, start, end, step) => {
      const form = new URLSearchParams({
        query: expr,
        start: String(start),
        end: String(end),
        step: String(step),
      });
      return (
        await api<{ result: QuerySeries[] }>(`${url}/api/v1/query_range`, { method: 'POST', body: form })
      ).result;
    },
    rules: async () =>
      (await api<{ groups: { rules: RuleState[] }[] }>(`${url}/api/v1/rules`)).groups.flatMap(
        (group) => group.rules,
      ),
    async waitFor(what, check, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let last: unknown;
      for (;;) {
        try {
          const value = await check();
          if (value !== undefined) return value;
        } catch (error) {
          last = error;
        }
        if (Date.now() >= deadline) {
          const reason = last ? ` (last error: ${(last as Error).message})` : '';
          throw new Error(`Prometheus: ${what} did not happen within ${timeoutMs} ms${reason}`);
        }
        await delay(interval * 1000);
      }
    },
    async destroy() {
      try {
        await daemon.stop('SIGTERM', 10_000);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
        cancelRemoveOnExit();
      }
    },
  };

  try {
    await daemon.waitUntilReady(async () => {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
      if (res.status !== 200) throw new Error(`/-/ready answered ${res.status}`);
    }, options.startTimeoutMs ?? 30_000);
    return server;
  } catch (error) {
    await server.destroy();
    throw error;
  }
}
