/**
 * End to end: the synthesized rules and dashboard against a real Prometheus scraping the real
 * reference server (on real Postgres and Redis), under traffic of every kind the alerts and panels
 * watch, and scraping `mcpenv probe --serve-metrics` checking the server through a loopback TLS
 * front, as the environment's probe does through the edge. Bounded: every wait has a deadline and
 * every traffic loop a fixed count.
 *
 * Set MCPENV_DASHBOARD_PICTURE=<file.svg> to also draw the dashboard's panels from the query
 * results (how the README's picture is made); MCPENV_E2E_TRAFFIC_ROUNDS lengthens the traffic
 * for a fuller picture (default 15 rounds of about a second).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { loadEnvironment } from '../../app/environments';
import { synthEnvironment } from '../../app/synth';
import { dashboardPanels, type GrafanaDashboard } from '../../constructs/monitoring/dashboard';
import { queryableSeriesNames } from '../../constructs/monitoring/promql';
import { renderDashboardSvg, type SeriesData } from '../helpers/dashboard-picture';
import { removeTempDirs, tempDir } from '../helpers/fixtures';
import {
  localhostCertificate,
  type ProbeProcess,
  startProbeProcess,
  startTlsFront,
  type TlsFront,
} from '../helpers/probe';
import { type PrometheusServer, type QuerySeries, startPrometheus } from '../helpers/prometheus';
import {
  type Backends,
  callTool,
  postMcp,
  type ReferenceServer,
  startBackends,
} from '../helpers/reference-server';

const ROUNDS = Math.min(Number(process.env.MCPENV_E2E_TRAFFIC_ROUNDS ?? 15) || 15, 600);
const RATE_LIMIT_PER_MINUTE = 200;
/** The pod name the Prometheus Operator would put on the target. */
const POD = 'mcp-server-7d9f8-x2kq4';

interface RulesFile {
  groups: { name: string; interval?: string; rules: { alert?: string; record?: string; expr: string }[] }[];
}

let backends: Backends;
let server: ReferenceServer;
let front: TlsFront;
let probe: ProbeProcess;
let prometheus: PrometheusServer;
let rules: RulesFile;
let dashboard: GrafanaDashboard;
let startedAt: number;

afterAll(async () => {
  await Promise.allSettled([prometheus?.destroy(), probe?.destroy(), front?.close()]);
  await backends?.destroy();
  removeTempDirs();
}, 60_000);

/** The scope labels an alert selects on, read from its `absent(<metric>{...})`. */
function ruleSelector(file: RulesFile, alert = 'McpServerDown', metric = 'up'): Record<string, string> {
  const expr = file.groups.flatMap((g) => g.rules).find((r) => r.alert === alert)?.expr ?? '';
  const body = new RegExp(`absent\\(${metric}\\{([^}]*)\\}\\)`).exec(expr)?.[1];
  if (body === undefined) throw new Error(`cannot find the selector in ${alert}: ${expr}`);
  return Object.fromEntries([...body.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
}

/** Grafana's `$__rate_interval` for a query step: max(step + scrape interval, 4 × scrape interval). */
function grafanaExpr(expr: string, stepSeconds: number, scrapeSeconds: number): string {
  const rateInterval = Math.max(stepSeconds + scrapeSeconds, 4 * scrapeSeconds);
  return expr
    .replaceAll('$__rate_interval', `${rateInterval}s`)
    .replaceAll('${__rate_interval}', `${rateInterval}s`);
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function statusesOf(requests: Promise<{ status: number }>[]): Promise<number[]> {
  return (await Promise.all(requests)).map((r) => r.status);
}

/** Alert state per name, from /api/v1/rules. */
async function alertStates(): Promise<Record<string, string>> {
  const states: Record<string, string> = {};
  for (const rule of await prometheus.rules())
    if (rule.type === 'alerting') states[rule.name] = rule.state ?? '';
  return states;
}

beforeAll(async () => {
  const dir = tempDir('mcpenv-e2e-');
  const out = path.join(dir, 'dev');
  // dev with the probe on, so the rules hold the probe's alerts and the dashboard its panels.
  synthEnvironment({ ...loadEnvironment('dev'), probe: {} }, { outDir: out, only: 'monitoring' });
  const rulesPath = path.join(out, 'monitoring', 'rules.yaml');
  rules = parse(fs.readFileSync(rulesPath, 'utf8')) as RulesFile;
  // The short evaluation setting, in this test only: the SLO budget group runs every 5 minutes as
  // shipped; here every group runs at the Prometheus's 1 s, so the budget is recorded in seconds.
  expect(rules.groups.filter((group) => group.interval !== undefined).map((group) => group.interval)).toEqual(
    ['5m'],
  );
  for (const group of rules.groups) delete group.interval;
  fs.writeFileSync(rulesPath, stringify(rules, { lineWidth: 0 }));
  const [dashboardFile] = fs.readdirSync(path.join(out, 'monitoring', 'dashboards'));
  dashboard = JSON.parse(
    fs.readFileSync(path.join(out, 'monitoring', 'dashboards', dashboardFile ?? ''), 'utf8'),
  ) as GrafanaDashboard;

  // The probe has a tenant (and so a rate limit) of its own, as the environment's probe should.
  backends = await startBackends({ tenants: ['steady', 'bursty', 'probe'] });
  const certificate = localhostCertificate(dir, 'edge');
  front = await startTlsFront(certificate);
  server = await backends.startServer({
    RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT_PER_MINUTE),
    RATE_LIMIT_ON_REDIS_ERROR: 'deny',
    // Two failed authentications a round, 120 a minute: above the default cap of 30 a minute per
    // address, which a run longer than 15 rounds (the README picture's 120) would otherwise hit.
    AUTH_FAILURES_PER_MINUTE: '240',
    PUBLIC_URL: `https://localhost:${front.port}`,
  });
  front.upstream = Number(new URL(server.url).port);
  const keyFile = path.join(dir, 'probe-key');
  fs.writeFileSync(keyFile, backends.keys[2] ?? '', { mode: 0o600 });
  probe = startProbeProcess([
    `https://localhost:${front.port}`,
    '--api-key-file',
    keyFile,
    '--ca-file',
    certificate.certFile,
    '--serve-metrics',
    '--interval-seconds',
    '1',
    '--timeout-seconds',
    '5',
    // Port 0: the probe binds a free port itself and announces it, so no other process can take it first.
    '--metrics-port',
    '0',
  ]);
  const announced = await probe.line((line) => line.msg === 'probe metrics listening');
  const probeAddress = new URL(String(announced.url)).host;

  const { job, ...labels } = ruleSelector(rules);
  const { job: probeJob, ...probeLabels } = ruleSelector(rules, 'McpProbeFailing', 'mcp_probe_success');
  prometheus = await startPrometheus({
    targets: [
      { address: new URL(server.url).host, job: job ?? 'mcp-server', labels: { ...labels, pod: POD } },
      { address: probeAddress, job: probeJob ?? 'mcp-probe', labels: { ...probeLabels } },
    ],
    ruleFiles: [rulesPath],
  });
  startedAt = Math.floor(Date.now() / 1000);
  await prometheus.waitFor(
    'the first successful scrapes of the server and the probe',
    async () => ((await prometheus.query('up == 1')).length === 2 ? true : undefined),
    30_000,
  );
}, 180_000);

describe('the synthesized monitoring against a real Prometheus scraping the reference server', () => {
  const [steadyIndex, burstyIndex] = [0, 1];
  const served: Record<string, number[]> = {};

  test('traffic of every kind: successes, refused tool calls, resource reads, auth failures, 429s; no 5xx', async () => {
    const steady = bearer(backends.keys[steadyIndex] ?? '');
    const bursty = bearer(backends.keys[burstyIndex] ?? '');
    Object.assign(served, { success: [], toolError: [], resources: [], auth: [], burst: [] });
    const record = async (kind: string, requests: Promise<{ status: number }>[]) => {
      served[kind]?.push(...(await statusesOf(requests)));
    };
    const rpc = (method: string, params?: Record<string, unknown>) => ({
      jsonrpc: '2.0',
      id: 1,
      method,
      params,
    });
    // The steady client makes at most three calls a round (180 a minute), under the limit of 200.
    for (let round = 0; round < ROUNDS; round++) {
      const roundStarted = Date.now();
      const stored = await postMcp(
        server.url,
        callTool('memory_store', { text: `note ${round}`, tags: ['e2e'] }),
        steady,
      );
      served.success?.push(stored.status);
      const uri = `memory://${(stored.json?.result?.structuredContent as { id?: string } | undefined)?.id}`;
      await record(
        round % 2 === 0 ? 'toolError' : 'resources',
        round % 2 === 0
          ? [
              postMcp(
                server.url,
                callTool('memory_get', { id: '00000000-0000-4000-8000-000000000000' }),
                steady,
              ),
            ]
          : [
              postMcp(server.url, rpc('resources/list'), steady),
              postMcp(server.url, rpc('resources/read', { uri }), steady),
            ],
      );
      await record('auth', [
        postMcp(server.url, rpc('ping')),
        postMcp(server.url, rpc('ping'), bearer('mcp_unknown_key_0000000000000000')),
      ]);
      if (round === Math.floor(ROUNDS / 2)) {
        // One burst of the second client, past its limit.
        await record(
          'burst',
          Array.from({ length: RATE_LIMIT_PER_MINUTE + 10 }, () => postMcp(server.url, rpc('ping'), bursty)),
        );
      }
      await sleep(Math.max(0, 1000 - (Date.now() - roundStarted)));
    }

    expect(new Set(served.success)).toEqual(new Set([200]));
    expect(new Set(served.toolError)).toEqual(new Set([200]));
    expect(new Set(served.resources)).toEqual(new Set([200]));
    expect(new Set(served.auth)).toEqual(new Set([401]));
    expect(served.burst?.filter((s) => s === 429).length).toBeGreaterThanOrEqual(10);
    expect(served.burst?.every((s) => s === 200 || s === 429)).toBe(true);
  }, 900_000);

  test('the server exposes only catalogued metrics, now that every code path has run', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const exposed = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => m[1] ?? '');
    expect(exposed.length).toBeGreaterThan(10);
    const known = new Set(queryableSeriesNames());
    const families = (name: string) => [
      name,
      `${name}_bucket`,
      `${name}_sum`,
      `${name}_count`,
      `${name}_total`,
    ];
    expect(exposed.filter((name) => !families(name).some((n) => known.has(n)))).toEqual([]);
  });

  test('Prometheus has scraped the traffic: the error ratios are recorded as 0 and the alerts are inactive', async () => {
    await prometheus.waitFor(
      "recorded request rates for 2xx and 4xx, and tool calls refused for the caller's fault",
      async () => {
        const classes = (await prometheus.query('mcp:mcp_requests:rate5m > 0')).map(
          (s) => s.metric.status_class,
        );
        const toolErrors = await prometheus.query(
          'mcp:mcp_tool_executions:rate5m{status="client_error"} > 0',
        );
        return classes.includes('2xx') && classes.includes('4xx') && toolErrors.length > 0 ? true : undefined;
      },
      30_000,
    );
    // Let one more evaluation run on the same data before reading the alert states.
    await sleep(2 * prometheus.intervalSeconds * 1000);
    const ratio = await prometheus.query('mcp:mcp_request_errors:ratio_rate5m');
    expect(ratio.map((s) => [s.metric.endpoint, Number(s.value?.[1])])).toEqual([['/mcp', 0]]);
    // Every memory_get asked for an unknown id: the caller's fault, which no tool ratio counts.
    const toolRatios = await prometheus.query('mcp:mcp_tool_execution_server_errors:ratio_rate5m');
    expect(toolRatios.map((s) => s.metric.tool_name)).toContain('memory_get');
    expect(toolRatios.filter((s) => Number(s.value?.[1]) !== 0)).toEqual([]);
    // The probe's runs pass through the TLS front, and its certificate has 30 days left.
    await prometheus.waitFor(
      'a successful probe run scraped',
      async () => ((await prometheus.query('mcp_probe_success == 1')).length === 1 ? true : undefined),
      30_000,
    );
    await sleep(2 * prometheus.intervalSeconds * 1000);
    const states = await alertStates();
    expect(states.McpHighErrorRatio).toBe('inactive');
    expect(states).toMatchObject({
      McpHighToolErrorRatio: 'inactive',
      McpServerDown: 'inactive',
      McpPostgresDown: 'inactive',
      McpRedisDown: 'inactive',
      McpNotReady: 'inactive',
      McpProbeFailing: 'inactive',
      McpCertificateExpiring: 'inactive',
      McpCertificateExpiringCritical: 'inactive',
    });
    // No 5xx, so no availability budget burns; the SLO series are recorded, and the budget is whole.
    const burnRates = Object.entries(states).filter(([name]) => /^McpAvailabilityBurnRate/.test(name));
    expect(burnRates).toEqual([
      ['McpAvailabilityBurnRate1h', 'inactive'],
      ['McpAvailabilityBurnRate6h', 'inactive'],
      ['McpAvailabilityBurnRate1d', 'inactive'],
      ['McpAvailabilityBurnRate3d', 'inactive'],
    ]);
    const budget = await prometheus.waitFor(
      'the availability budget left recorded',
      async () => {
        const series = await prometheus.query('mcp:slo_availability_error_budget:remaining30d');
        return series.length > 0 ? series : undefined;
      },
      30_000,
    );
    expect(budget.map((s) => Number(s.value?.[1]))).toEqual([1]);
  }, 60_000);

  test('every recording and alert expression evaluates without error, and every rule is healthy', async () => {
    const all = rules.groups.flatMap((g) => g.rules);
    expect(all.length).toBeGreaterThanOrEqual(18);
    const failures: string[] = [];
    for (const rule of all) {
      await prometheus.query(rule.expr).catch((error: Error) => {
        failures.push(`${rule.alert ?? rule.record}: ${error.message}`);
      });
    }
    expect(failures).toEqual([]);
    const states = await prometheus.rules();
    expect(states.map((r) => r.name).sort()).toEqual(all.map((r) => r.alert ?? r.record).sort());
    expect(states.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
  }, 60_000);

  test('injected 5xx errors (Redis stopped, rate limiting fails closed) turn the error-ratio alert pending', async () => {
    await backends.redis.stop();
    const key = bearer(backends.keys[steadyIndex] ?? '');
    const statuses: number[] = [];
    for (let round = 0; round < 5; round++) {
      statuses.push(
        ...(await statusesOf(
          Array.from({ length: 10 }, () =>
            postMcp(server.url, { jsonrpc: '2.0', id: 1, method: 'ping' }, key),
          ),
        )),
      );
    }
    expect(statuses.filter((s) => s >= 500).length).toBeGreaterThanOrEqual(40);
    const state = await prometheus.waitFor(
      'McpHighErrorRatio pending or firing',
      async () => {
        const s = (await alertStates()).McpHighErrorRatio;
        return s === 'pending' || s === 'firing' ? s : undefined;
      },
      30_000,
    );
    expect(['pending', 'firing']).toContain(state);
    const alerts = await prometheus.query('ALERTS{alertname="McpHighErrorRatio"}');
    expect(alerts[0]?.metric).toMatchObject({ severity: 'critical', endpoint: '/mcp', alertstate: state });

    // The fast-burn page: over its 1h window (all of this test's traffic) and its 5m window the
    // 5xx share must pass 14.4 times dev's 1% budget. More failing requests, a bounded number,
    // until it does; the alert then waits out its 2m `for` as pending.
    let burn: string | undefined;
    for (let round = 0; round < 30 && burn === undefined; round++) {
      await statusesOf(
        Array.from({ length: 10 }, () => postMcp(server.url, { jsonrpc: '2.0', id: 1, method: 'ping' }, key)),
      );
      await sleep(2 * prometheus.intervalSeconds * 1000);
      const s = (await alertStates()).McpAvailabilityBurnRate1h;
      burn = s === 'pending' || s === 'firing' ? s : undefined;
    }
    expect(burn).toBe('pending');
    const [page] = await prometheus.query('ALERTS{alertname="McpAvailabilityBurnRate1h"}');
    expect(page?.metric).toMatchObject({
      severity: 'critical',
      slo: 'availability',
      long_window: '1h',
      short_window: '5m',
      alertstate: 'pending',
    });
    const [burnRate] = await prometheus.query(
      'mcp:slo_availability_errors:ratio_rate1h / 0.01 > 14.4 and mcp:slo_availability_errors:ratio_rate5m / 0.01 > 14.4',
    );
    expect(Number(burnRate?.value?.[1])).toBeGreaterThan(14.4);
    // Prometheus renders the description, the budget left read by its query when the alert is evaluated.
    const rule = (await prometheus.rules()).find((r) => r.name === 'McpAvailabilityBurnRate1h');
    const description = rule?.alerts?.[0]?.annotations?.description ?? '';
    expect(description).toMatch(
      /spend the error budget of the 99% availability objective [\d.]+ times as fast/,
    );
    expect(description).toMatch(/Error budget left over 30 days: -?[\d.]+(e[+-]\d+)?%\.$/);
  }, 180_000);

  test('every dashboard panel query evaluates, and every panel target returns data', async () => {
    const end = Math.ceil(Date.now() / 1000);
    const step = 1;
    const results = new Map<number, Map<string, SeriesData[]>>();
    const empty: string[] = [];
    for (const panel of dashboardPanels(dashboard)) {
      const byTarget = new Map<string, SeriesData[]>();
      for (const target of panel.targets) {
        const series: QuerySeries[] = await prometheus.queryRange(
          grafanaExpr(target.expr, step, prometheus.intervalSeconds),
          startedAt,
          end,
          step,
        );
        if (series.length === 0) empty.push(`${panel.title} / ${target.legendFormat}`);
        byTarget.set(
          target.refId,
          series.map((s) => ({
            labels: s.metric,
            points: (s.values ?? []).map(([t, v]) => [t, Number(v)] as const),
          })),
        );
      }
      results.set(panel.id, byTarget);
    }
    expect(dashboardPanels(dashboard).length).toBeGreaterThanOrEqual(12);
    expect(empty).toEqual([]);

    const picture = process.env.MCPENV_DASHBOARD_PICTURE;
    if (picture) {
      fs.writeFileSync(
        picture,
        renderDashboardSvg(dashboard, results, {
          start: startedAt,
          end,
          caption:
            `Real query results: Prometheus 2.42 scraping the reference server under ${ROUNDS} s of ` +
            'test traffic; at the end Redis is stopped and requests fail with 503.',
        }),
      );
    }
  }, 120_000);

  test('McpProbeFailing is inactive while the server serves, and goes pending once it stops', async () => {
    // Redis back (the test before stopped it, which failed the probe's runs too) and a passing run.
    await backends.redis.start();
    await prometheus.waitFor(
      'McpProbeFailing inactive again',
      async () => ((await alertStates()).McpProbeFailing === 'inactive' ? true : undefined),
      60_000,
    );
    const logged = probe.lines.length;
    await server.stop();
    const state = await prometheus.waitFor(
      'McpProbeFailing pending or firing',
      async () => {
        const s = (await alertStates()).McpProbeFailing;
        return s === 'pending' || s === 'firing' ? s : undefined;
      },
      30_000,
    );
    expect(['pending', 'firing']).toContain(state);
    const alerts = await prometheus.query('ALERTS{alertname="McpProbeFailing"}');
    expect(alerts[0]?.metric).toMatchObject({ severity: 'critical', alertstate: state });
    // The TLS front still answers; the runs fail where the server should answer.
    await probe.line((line, index) => index >= logged && line.failedStep === 'handshake', 30_000);
  }, 60_000);
});
