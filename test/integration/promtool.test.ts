import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { loadEnvironment } from '../../app/environments';
import { synthEnvironment } from '../../app/synth';
import {
  type AlertRulesProps,
  buildAlertRules,
  toPrometheusRulesYaml,
} from '../../constructs/monitoring/alerts';
import {
  buildRuleTests,
  buildSloRuleTestFile,
  toRuleTestsYaml,
} from '../../constructs/monitoring/rule-tests';
import { removeTempDirs, tempDir } from '../helpers/fixtures';
import { requireProgram, run } from '../helpers/programs';

afterAll(removeTempDirs);

/** Writes the rules for `props` as rules.yaml in a fresh folder and returns the folder. */
function writeRules(props: AlertRulesProps = {}): string {
  const dir = tempDir('mcpenv-promtool-');
  fs.writeFileSync(path.join(dir, 'rules.yaml'), toPrometheusRulesYaml(buildAlertRules(props)));
  return dir;
}

const JOB = 'job="mcp-server",instance="10.0.0.7:3000"';
const requests = (status: string, values: string) => ({
  series: `mcp_requests_total{${JOB},method="tools/call",status="${status}",endpoint="/mcp"}`,
  values,
});
const toolCalls = (tool: string, status: string, values: string) => ({
  series: `mcp_tool_executions_total{${JOB},tool_name="${tool}",status="${status}"}`,
  values,
});
const TOOL_RATIO = 'mcp:mcp_tool_execution_server_errors:ratio_rate5m';

describe('the alert rules under the real promtool', () => {
  const promtool = requireProgram('promtool', 'the Debian package prometheus');

  test('promtool check rules accepts the default rules and counts 8 recording rules and 10 alerts', () => {
    const dir = writeRules();
    const result = run(promtool, ['check', 'rules', 'rules.yaml'], { cwd: dir });
    expect(result.stdout).toContain('SUCCESS: 18 rules found');
  });

  test('promtool check rules accepts scoped rules with the optional auth alert and runbook links', () => {
    const dir = writeRules({
      selector: { namespace: 'mcp-prod', job: 'mcp-server' },
      authFailureRatioThreshold: 0.2,
      runbookBaseUrl: 'https://runbooks.example.com/mcp',
    });
    const result = run(promtool, ['check', 'rules', 'rules.yaml'], { cwd: dir });
    expect(result.stdout).toContain('SUCCESS: 19 rules found');
  });

  test('promtool test rules: the rules record, fire and stay quiet on synthetic series', () => {
    const dir = writeRules();
    const tests = {
      rule_files: ['rules.yaml'],
      evaluation_interval: '1m',
      tests: [
        {
          name: 'half the requests fail with 500',
          interval: '1m',
          input_series: [requests('200', '0+60x30'), requests('500', '0+60x30')],
          promql_expr_test: [
            {
              expr: 'mcp:mcp_requests:rate5m',
              eval_time: '10m',
              exp_samples: [
                {
                  labels: 'mcp:mcp_requests:rate5m{job="mcp-server",endpoint="/mcp",status_class="2xx"}',
                  value: 1,
                },
                {
                  labels: 'mcp:mcp_requests:rate5m{job="mcp-server",endpoint="/mcp",status_class="5xx"}',
                  value: 1,
                },
              ],
            },
            {
              expr: 'mcp:mcp_request_errors:ratio_rate5m',
              eval_time: '10m',
              exp_samples: [
                {
                  labels: 'mcp:mcp_request_errors:ratio_rate5m{job="mcp-server",endpoint="/mcp"}',
                  value: 0.5,
                },
              ],
            },
          ],
          alert_rule_test: [
            { alertname: 'McpHighErrorRatio', eval_time: '5m', exp_alerts: [] },
            {
              alertname: 'McpHighErrorRatio',
              eval_time: '25m',
              exp_alerts: [
                {
                  exp_labels: { severity: 'critical', job: 'mcp-server', endpoint: '/mcp' },
                  exp_annotations: {
                    summary: 'MCP server requests are failing with 5xx errors',
                    description:
                      '50% of requests to /mcp ended with a 5xx status over the last 5m (threshold 5%).',
                  },
                },
              ],
            },
          ],
        },
        {
          name: 'no request has failed yet: the error ratio is 0, not absent',
          interval: '1m',
          input_series: [requests('200', '0+60x30')],
          promql_expr_test: [
            {
              expr: 'mcp:mcp_request_errors:ratio_rate5m',
              eval_time: '10m',
              exp_samples: [
                { labels: 'mcp:mcp_request_errors:ratio_rate5m{job="mcp-server",endpoint="/mcp"}', value: 0 },
              ],
            },
          ],
          alert_rule_test: [{ alertname: 'McpHighErrorRatio', eval_time: '25m', exp_alerts: [] }],
        },
        {
          name: 'a client sends only bad input: every call to memory_search is refused, none pages',
          interval: '1m',
          input_series: [
            toolCalls('memory_search', 'client_error', '0+60x30'),
            toolCalls('memory_search', 'success', '0x30'),
            toolCalls('memory_search', 'server_error', '0x30'),
          ],
          promql_expr_test: [
            {
              expr: TOOL_RATIO,
              eval_time: '10m',
              exp_samples: [
                { labels: `${TOOL_RATIO}{job="mcp-server",tool_name="memory_search"}`, value: 0 },
              ],
            },
          ],
          alert_rule_test: [{ alertname: 'McpHighToolErrorRatio', eval_time: '25m', exp_alerts: [] }],
        },
        {
          name: 'Postgres fails a fifth of memory_store calls while clients also send bad input: it pages',
          interval: '1m',
          input_series: [
            toolCalls('memory_store', 'server_error', '0+12x30'),
            toolCalls('memory_store', 'success', '0+48x30'),
            toolCalls('memory_store', 'client_error', '0+120x30'),
          ],
          promql_expr_test: [
            {
              expr: TOOL_RATIO,
              eval_time: '10m',
              exp_samples: [
                { labels: `${TOOL_RATIO}{job="mcp-server",tool_name="memory_store"}`, value: 0.2 },
              ],
            },
          ],
          alert_rule_test: [
            { alertname: 'McpHighToolErrorRatio', eval_time: '10m', exp_alerts: [] },
            {
              alertname: 'McpHighToolErrorRatio',
              eval_time: '25m',
              exp_alerts: [
                {
                  exp_labels: { severity: 'warning', job: 'mcp-server', tool_name: 'memory_store' },
                  exp_annotations: {
                    summary: 'An MCP tool is failing on the server',
                    description:
                      '20% of calls to the tool memory_store failed on the server (a dependency such as Postgres ' +
                      'or Redis failing, a timeout, or a bug) over the last 5m (threshold 10%); calls refused ' +
                      'for bad input are not counted.',
                  },
                },
              ],
            },
          ],
        },
        {
          name: 'every request takes between 1 and 2.5 seconds',
          interval: '1m',
          input_series: ['0.5', '1', '2.5', '+Inf'].map((le) => ({
            series: `mcp_request_duration_seconds_bucket{${JOB},method="tools/call",endpoint="/mcp",le="${le}"}`,
            values: Number(le) >= 2.5 ? '0+60x30' : '0x30',
          })),
          alert_rule_test: [
            {
              alertname: 'McpHighLatency',
              eval_time: '25m',
              exp_alerts: [
                {
                  exp_labels: { severity: 'warning', job: 'mcp-server', endpoint: '/mcp' },
                  exp_annotations: {
                    summary: 'MCP server requests are slow',
                    description:
                      'The 95th percentile duration of requests to /mcp is 2.425s over the last 5m (threshold 1s).',
                  },
                },
              ],
            },
          ],
        },
        {
          name: 'Prometheus scrapes no target of the server',
          interval: '1m',
          input_series: [{ series: 'up{job="another-app",instance="10.0.0.9:8080"}', values: '1x20' }],
          alert_rule_test: [
            {
              alertname: 'McpServerDown',
              eval_time: '10m',
              exp_alerts: [
                {
                  exp_labels: { severity: 'critical', job: 'mcp-server' },
                  exp_annotations: {
                    summary: 'No MCP server target is up',
                    description:
                      'Prometheus has scraped no target matching {job="mcp-server"} successfully: every pod is ' +
                      'down, or none is discovered (check the ServiceMonitor and its labels).',
                  },
                },
              ],
            },
          ],
        },
        {
          name: 'a pod cannot reach Postgres while the server is scraped',
          interval: '1m',
          input_series: [
            { series: `up{${JOB}}`, values: '1x20' },
            { series: `mcp_postgres_up{${JOB}}`, values: '0x20' },
          ],
          alert_rule_test: [
            { alertname: 'McpServerDown', eval_time: '10m', exp_alerts: [] },
            {
              alertname: 'McpPostgresDown',
              eval_time: '10m',
              exp_alerts: [
                {
                  exp_labels: { severity: 'critical', job: 'mcp-server', instance: '10.0.0.7:3000' },
                  exp_annotations: {
                    summary: 'The MCP server cannot reach Postgres',
                    description:
                      '10.0.0.7:3000 fails its Postgres health check; tools that read or write memories fail.',
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    fs.writeFileSync(path.join(dir, 'tests.yaml'), stringify(tests, { lineWidth: 0 }));
    const result = run(promtool, ['test', 'rules', 'tests.yaml'], { cwd: dir, allowFailure: true });
    expect({ status: result.status, output: `${result.stdout}${result.stderr}` }).toEqual({
      status: 0,
      output: expect.stringContaining('SUCCESS'),
    });
  });
});

interface RulesFile {
  groups: { name: string; rules: { alert?: string; record?: string }[] }[];
}
interface TestsFile {
  rule_files: string[];
  tests: { name: string; alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
}

describe('the synthesized rules.yaml and its generated rules.test.yaml under the real promtool', () => {
  const promtool = requireProgram('promtool', 'the Debian package prometheus');

  test.each(['dev', 'staging', 'prod'])(
    '%s: promtool checks the rules and passes a firing and a silent case for every alert',
    (environment) => {
      const out = path.join(tempDir('mcpenv-promtool-'), environment);
      synthEnvironment(loadEnvironment(environment), { outDir: out, only: 'monitoring' });
      const monitoring = path.join(out, 'monitoring');
      const rules = parse(fs.readFileSync(path.join(monitoring, 'rules.yaml'), 'utf8')) as RulesFile;
      const testFiles = ['rules.test.yaml', 'rules.slo.test.yaml']
        .map((name) => path.join(monitoring, name))
        .filter((file) => fs.existsSync(file));
      // dev and prod declare SLOs, whose slow burn-rate alerts' cases have a file of their own.
      expect(testFiles.length).toBe(environment === 'staging' ? 1 : 2);
      const files = testFiles.map((file) => parse(fs.readFileSync(file, 'utf8')) as TestsFile);
      const tests = { ...files[0], tests: files.flatMap((file) => file.tests) } as TestsFile;
      const alerts = rules.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));
      expect(alerts.length).toBeGreaterThanOrEqual(10);
      expect(tests.rule_files).toEqual(['rules.yaml']);
      for (const alert of alerts) {
        const mine = tests.tests.filter((t) => t.alert_rule_test.every((a) => a.alertname === alert));
        const fires = mine.filter((t) => t.alert_rule_test.some((a) => a.exp_alerts.length > 0));
        const silent = mine.filter((t) => t.alert_rule_test.every((a) => a.exp_alerts.length === 0));
        // A burn-rate alert has two silent cases: only its short window over, only its long one.
        const silentCases = /BurnRate/.test(alert) ? 2 : 1;
        expect({ alert, fires: fires.length, silent: silent.length }).toEqual({
          alert,
          fires: 1,
          silent: silentCases,
        });
      }
      if (environment !== 'staging') {
        expect(alerts.filter((alert) => /BurnRate/.test(alert))).toHaveLength(8);
      }

      const check = run(promtool, ['check', 'rules', path.join(monitoring, 'rules.yaml')]);
      expect(check.stdout).toContain(`SUCCESS: ${rules.groups.flatMap((g) => g.rules).length} rules found`);
      // Run from elsewhere: promtool finds rules.yaml beside the test file, as `validate` relies on.
      const unit = run(promtool, ['test', 'rules', ...testFiles], {
        cwd: tempDir('mcpenv-promtool-cwd-'),
        allowFailure: true,
      });
      expect({ status: unit.status, output: `${unit.stdout}${unit.stderr}` }).toEqual({
        status: 0,
        output: expect.stringContaining('SUCCESS'),
      });
    },
    120_000,
  );

  test('the generated cases follow non-default thresholds, durations and the optional auth alert', () => {
    const props: AlertRulesProps = {
      selector: { namespace: 'mcp-test', job: 'mcp' },
      errorRatioThreshold: 0.3,
      errorRatioFor: '90s',
      latencyP95ThresholdSeconds: 0.2,
      memoryLimitBytes: 256 * 1024 ** 2,
      memoryUsageThreshold: 0.75,
      cpuLimitCores: 0.5,
      toolErrorRatioThreshold: 0.02,
      rateLimitRejectionRatioThreshold: 0.5,
      notReadyFor: '1m',
      authFailureRatioThreshold: 0.01,
      authFailureFor: '2h',
      runbookBaseUrl: 'https://runbooks.example.com/mcp',
    };
    const dir = writeRules(props);
    fs.writeFileSync(path.join(dir, 'rules.test.yaml'), toRuleTestsYaml(buildRuleTests(props)));
    const result = run(promtool, ['test', 'rules', 'rules.test.yaml'], { cwd: dir, allowFailure: true });
    expect({ status: result.status, output: `${result.stdout}${result.stderr}` }).toEqual({
      status: 0,
      output: expect.stringContaining('SUCCESS'),
    });
  }, 120_000);

  test.each([
    [
      "counts the caller's faults as failures",
      (rules: string) => rules.replaceAll('status="server_error"', 'status!="success"'),
      /McpHighToolErrorRatio stays silent[\s\S]*alertname: McpHighToolErrorRatio/,
    ],
    [
      "counts the caller's faults as calls",
      (rules: string) => rules.replaceAll(',status!="client_error"', ''),
      /alertname: McpHighToolErrorRatio[\s\S]*got:\s*\[\]/,
    ],
  ])(
    'the generated cases fail when the tool ratio %s',
    (_story, edit, failure) => {
      const dir = writeRules();
      const file = path.join(dir, 'rules.yaml');
      const original = fs.readFileSync(file, 'utf8');
      const edited = edit(original);
      expect(edited).not.toBe(original);
      fs.writeFileSync(file, edited);
      fs.writeFileSync(path.join(dir, 'rules.test.yaml'), toRuleTestsYaml(buildRuleTests()));
      const result = run(promtool, ['test', 'rules', 'rules.test.yaml'], { cwd: dir, allowFailure: true });
      expect(result.status).toBe(1);
      expect(`${result.stdout}${result.stderr}`).toMatch(failure);
    },
    120_000,
  );

  test('the generated cases fail when rules.yaml disagrees with them: a raised threshold never fires', () => {
    const dir = writeRules({ toolErrorRatioThreshold: 0.2 });
    fs.writeFileSync(path.join(dir, 'rules.test.yaml'), toRuleTestsYaml(buildRuleTests()));
    const result = run(promtool, ['test', 'rules', 'rules.test.yaml'], { cwd: dir, allowFailure: true });
    expect(result.status).toBe(1);
    expect(`${result.stdout}${result.stderr}`).toMatch(/alertname: McpHighToolErrorRatio[\s\S]*got:\s*\[\]/);
  }, 120_000);

  describe('a hand-edited burn-rate factor fails the generated SLO cases', () => {
    const props: AlertRulesProps = {
      selector: { namespace: 'mcp-prod', job: 'mcp-prod-server' },
      slo: { availability: { objective: 99.9 }, latency: { objective: 99, thresholdSeconds: 0.5 } },
    };

    /** Writes the rules with `edit` applied and only `alert`'s cases, and runs promtool on them. */
    function runEdited(alert: string, edit: (rules: string) => string) {
      const dir = writeRules(props);
      const file = path.join(dir, 'rules.yaml');
      const original = fs.readFileSync(file, 'utf8');
      const edited = edit(original);
      expect(edited).not.toBe(original);
      fs.writeFileSync(file, edited);
      // The alert's three cases, from whichever file holds them (with that file's evaluation interval).
      const [all] = [buildRuleTests(props), buildSloRuleTestFile(props)].filter(
        (candidate) =>
          candidate?.tests.some((t) => t.alert_rule_test.every((a) => a.alertname === alert)) ?? false,
      );
      const tests = (all?.tests ?? []).filter((t) => t.alert_rule_test.every((a) => a.alertname === alert));
      expect(tests).toHaveLength(3);
      fs.writeFileSync(
        path.join(dir, 'rules.test.yaml'),
        toRuleTestsYaml({ ...(all ?? buildRuleTests()), tests }),
      );
      const result = run(promtool, ['test', 'rules', 'rules.test.yaml'], { cwd: dir, allowFailure: true });
      return { status: result.status, output: `${result.stdout}${result.stderr}` };
    }

    test.each([
      ['McpAvailabilityBurnRate1h', '14.4', '13.5', /alertname: McpAvailabilityBurnRate1h[\s\S]*exp:\s*\[\]/],
      ['McpAvailabilityBurnRate1h', '14.4', '15.5', /alertname: McpAvailabilityBurnRate1h[\s\S]*got:\s*\[\]/],
      ['McpLatencyBurnRate6h', '6', '5.6', /alertname: McpLatencyBurnRate6h[\s\S]*exp:\s*\[\]/],
      ['McpAvailabilityBurnRate3d', '1', '1.1', /alertname: McpAvailabilityBurnRate3d[\s\S]*got:\s*\[\]/],
    ])(
      '%s with its factor %s edited to %s',
      (alert, factor, edited, failure) => {
        const result = runEdited(alert, (rules) =>
          rules
            .split('\n')
            .map((line, index, lines) =>
              lines[index - 1]?.endsWith(`alert: ${alert}`)
                ? line.replaceAll(` > ${factor}`, ` > ${edited}`)
                : line,
            )
            .join('\n'),
        );
        expect(result.status).toBe(1);
        expect(result.output).toMatch(failure);
      },
      120_000,
    );
  });
});
