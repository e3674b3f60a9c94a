import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { Chart, Testing } from 'cdk8s';
import { type Construct } from 'constructs';
import { parseAllDocuments } from 'yaml';
import {
  McpAlertRules,
  type McpAlertRulesProps,
  McpDashboard,
  type McpDashboardProps,
  McpMonitoring,
  type McpMonitoringProps,
  McpServiceMonitor,
  type McpServiceMonitorProps,
} from '../../../constructs/k8s/monitoring';
import { buildAlertRules } from '../../../constructs/monitoring/alerts';
import { dashboardExpressions, dashboardPanels } from '../../../constructs/monitoring/dashboard';
import { QUERYABLE_METRICS } from '@mcpenv/contract';
import { buildRuleTests } from '../../../constructs/monitoring/rule-tests';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = any;

function synth<T extends Construct>(build: (chart: Chart) => T, namespace?: string) {
  const chart = new Chart(Testing.app(), 'test', namespace ? { namespace } : {});
  const construct = build(chart);
  return { construct, objects: Testing.synth(chart) as Manifest[] };
}

function only(objects: Manifest[], kind: string): Manifest {
  const found = objects.filter((o) => o.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0];
}

/** The CRDs' patterns are Go regular expressions; the only Go syntax they use is a leading `(?i)`. */
const goRegExp = Object.assign(
  (pattern: string, flags: string) =>
    pattern.startsWith('^(?i)')
      ? new RegExp(`^${pattern.slice(5)}`, `${flags}i`)
      : new RegExp(pattern, flags),
  { code: 'goRegExp' },
);

/** Validators for the vendored PrometheusRule and ServiceMonitor CRDs, keyed by "apiVersion kind". */
function crdValidators(): Map<string, ValidateFunction> {
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true, code: { regExp: goRegExp } });
  const dir = join(__dirname, '../../../constructs/k8s/crds');
  const validators = new Map<string, ValidateFunction>();
  for (const file of [
    'monitoring.coreos.com_prometheusrules.yaml',
    'monitoring.coreos.com_servicemonitors.yaml',
  ]) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      const crd = doc.toJS() as Manifest;
      if (crd?.kind !== 'CustomResourceDefinition') continue;
      for (const version of crd.spec.versions) {
        validators.set(
          `${crd.spec.group}/${version.name} ${crd.spec.names.kind}`,
          ajv.compile(version.schema.openAPIV3Schema),
        );
      }
    }
  }
  return validators;
}

const RELEASE = { release: 'kube-prometheus-stack' };

describe('McpServiceMonitor', () => {
  const serviceMonitor = (props: McpServiceMonitorProps = {}, namespace?: string) =>
    only(
      synth((chart) => new McpServiceMonitor(chart, 'ServiceMonitor', props), namespace).objects,
      'ServiceMonitor',
    );

  test('selects the server Service by its selector labels and scrapes /metrics on the http port', () => {
    const sm = serviceMonitor({ instance: 'prod' });
    expect(sm.metadata.name).toBe('prod-server');
    expect(sm.spec.selector).toEqual({
      matchLabels: { 'app.kubernetes.io/name': 'prod-server', 'app.kubernetes.io/instance': 'prod' },
    });
    expect(sm.spec.endpoints).toEqual([
      {
        port: 'http',
        path: '/metrics',
        interval: '30s',
        scrapeTimeout: '10s',
        relabelings: [{ action: 'labeldrop', regex: 'endpoint' }],
      },
    ]);
    expect(sm.spec).not.toHaveProperty('namespaceSelector');
  });

  test('drops the operator target label that collides with the metrics, and no other label collides', () => {
    // The Prometheus Operator sets these target labels; a metric label of the same name would be
    // renamed to exported_<name> unless the target label is dropped first.
    const targetLabels = ['job', 'instance', 'namespace', 'service', 'pod', 'container', 'endpoint'];
    const metricLabels = new Set(QUERYABLE_METRICS.flatMap((d) => d.labelNames));
    const dropped = serviceMonitor().spec.endpoints[0].relabelings.map((r: Manifest) => r.regex);
    expect(targetLabels.filter((label) => metricLabels.has(label))).toEqual(dropped);
  });

  test('carries the extra labels the Prometheus selects ServiceMonitors by', () => {
    expect(serviceMonitor({ labels: RELEASE }).metadata.labels).toEqual({
      release: 'kube-prometheus-stack',
      'app.kubernetes.io/name': 'mcp-server',
      'app.kubernetes.io/instance': 'mcp-server',
      'app.kubernetes.io/part-of': 'mcpenv',
      'app.kubernetes.io/managed-by': 'mcpenv',
      'app.kubernetes.io/component': 'monitoring',
    });
  });

  test('looks for the Service in the chart namespace, or in the namespaces it is given', () => {
    expect(serviceMonitor({}, 'mcp-prod').spec.namespaceSelector).toEqual({ matchNames: ['mcp-prod'] });
    expect(serviceMonitor({ serviceNamespaces: ['a', 'b'] }, 'monitoring').spec.namespaceSelector).toEqual({
      matchNames: ['a', 'b'],
    });
  });

  test('uses the port, path, interval and timeout it is given', () => {
    expect(
      serviceMonitor({
        portName: 'metrics',
        metricsPath: '/internal/metrics',
        scrapeIntervalSeconds: 15,
        scrapeTimeoutSeconds: 15,
      }).spec.endpoints[0],
    ).toMatchObject({ port: 'metrics', path: '/internal/metrics', interval: '15s', scrapeTimeout: '15s' });
  });

  test.each<[string, McpServiceMonitorProps, RegExp]>([
    [
      'a name that is not a DNS label',
      { name: 'MCP' },
      /^McpServiceMonitor: `name` must be a DNS label of at most 63 characters \(got "MCP"\)$/,
    ],
    [
      'an instance that is not a label value',
      { instance: 'prod/eu' },
      /`instance` must be a Kubernetes label value/,
    ],
    [
      'an extra label with an invalid key',
      { labels: { 'bad key': 'x' } },
      /`labels.bad key` must be a Kubernetes label key/,
    ],
    [
      'an extra label that overrides a managed one',
      { labels: { 'app.kubernetes.io/name': 'x' } },
      /`labels.app.kubernetes.io\/name` must not be set: the construct manages it/,
    ],
    [
      'an extra label with an invalid value',
      { labels: { release: 'a b' } },
      /`labels.release` must be a Kubernetes label value/,
    ],
    [
      'a port name that is too long',
      { portName: 'metrics-http-port' },
      /`portName` must be a port name of at most 15/,
    ],
    [
      'a relative metrics path',
      { metricsPath: 'metrics' },
      /`metricsPath` must start with "\/" \(got "metrics"\)/,
    ],
    [
      'a scrape interval of 0',
      { scrapeIntervalSeconds: 0 },
      /`scrapeIntervalSeconds` must be a whole number of at least 1 \(got 0\)/,
    ],
    [
      'a timeout longer than the interval',
      { scrapeIntervalSeconds: 10, scrapeTimeoutSeconds: 20 },
      /`scrapeTimeoutSeconds` must be a whole number from 1 to scrapeIntervalSeconds \(10\) \(got 20\)/,
    ],
    [
      'an empty namespace list',
      { serviceNamespaces: [] },
      /`serviceNamespaces` must list at least one namespace, each a DNS label/,
    ],
  ])('rejects %s', (_case, props, message) => {
    expect(() => serviceMonitor(props)).toThrow(message);
  });
});

describe('McpAlertRules', () => {
  const rules = (props: McpAlertRulesProps = {}, namespace?: string) =>
    synth((chart) => new McpAlertRules(chart, 'Alerts', props), namespace);

  test('writes the rule groups into a PrometheusRule named after the server', () => {
    const { construct, objects } = rules({ labels: RELEASE });
    const rule = only(objects, 'PrometheusRule');
    expect(rule.metadata).toMatchObject({ name: 'mcp-server', labels: RELEASE });
    expect(rule.spec.groups).toEqual(construct.ruleGroups);
    expect(construct.prometheusRule.node.id).toBe('Resource');
  });

  test('scopes the rules to the job and the chart namespace by default', () => {
    const { construct } = rules({ name: 'mcp' }, 'mcp-prod');
    expect(construct.ruleGroups).toEqual(
      buildAlertRules({ selector: { job: 'mcp', namespace: 'mcp-prod' } }),
    );
  });

  test('passes thresholds through and scopes by the selector it is given', () => {
    const { objects } = rules({ selector: { cluster: 'eu' }, errorRatioThreshold: 0.02 });
    const alert = only(objects, 'PrometheusRule').spec.groups[1].rules[0];
    expect(alert).toMatchObject({
      alert: 'McpHighErrorRatio',
      expr: 'mcp:mcp_request_errors:ratio_rate5m{cluster="eu"} > 0.02',
    });
  });

  test('rejects a threshold it cannot alert on', () => {
    expect(() => rules({ cpuUsageThreshold: 2 })).toThrow(
      /^McpAlertRules: `cpuUsageThreshold` must be a ratio/,
    );
  });
});

describe('McpDashboard', () => {
  const dashboard = (props: McpDashboardProps = {}, namespace?: string) =>
    synth((chart) => new McpDashboard(chart, 'Dashboard', props), namespace);

  test('stores the dashboard JSON in a ConfigMap for the Grafana sidecar', () => {
    const { construct, objects } = dashboard({ instance: 'prod' });
    const configMap = only(objects, 'ConfigMap');
    expect(configMap.metadata.name).toBe('prod-server-dashboard');
    expect(configMap.metadata.labels).toMatchObject({
      grafana_dashboard: '1',
      'app.kubernetes.io/instance': 'prod',
    });
    expect(configMap.metadata).not.toHaveProperty('annotations');
    expect(Object.keys(configMap.data)).toEqual(['mcpenv-prod-server.json']);
    expect(construct.fileName).toBe('mcpenv-prod-server.json');
    expect(configMap.data[construct.fileName]).toBe(construct.dashboardJson);
    expect(JSON.parse(construct.dashboardJson)).toEqual(construct.dashboard);
  });

  test('uses the sidecar labels and the folder it is given', () => {
    const configMap = only(
      dashboard({
        sidecarLabels: { 'grafana.com/dashboard': 'mcp' },
        folder: 'MCP',
        folderAnnotation: 'k8s-sidecar-target-directory',
      }).objects,
      'ConfigMap',
    );
    expect(configMap.metadata.labels).toMatchObject({ 'grafana.com/dashboard': 'mcp' });
    expect(configMap.metadata.labels).not.toHaveProperty('grafana_dashboard');
    expect(configMap.metadata.annotations).toEqual({ 'k8s-sidecar-target-directory': 'MCP' });
    expect(only(dashboard({ folder: 'MCP' }).objects, 'ConfigMap').metadata.annotations).toEqual({
      grafana_folder: 'MCP',
    });
  });

  test('scopes the panels to the job and the chart namespace by default', () => {
    const { construct } = dashboard({}, 'mcp-prod');
    expect(dashboardPanels(construct.dashboard)[0]?.targets[0]?.expr).toBe(
      'sum(mcp:mcp_requests:rate5m{job="mcp-server",namespace="mcp-prod"})',
    );
  });

  test('adds a row per SLO, scoped like the other panels, and rejects a bad objective', () => {
    const { construct } = dashboard({ slo: { availability: { objective: 99.5 } } }, 'mcp-prod');
    const rows = construct.dashboard.panels.filter((entry) => entry.type === 'row');
    expect(rows.map((row) => row.title)).toEqual(['Availability 99.5% over 30 days']);
    expect(dashboardExpressions(construct.dashboard)).toContain(
      'mcp:slo_availability_error_budget:remaining30d{job="mcp-server",namespace="mcp-prod"}',
    );
    expect(() => dashboard({ slo: { availability: { objective: 100 } } })).toThrow(
      /^McpDashboard: `slo.availability.objective` must be less than 100/,
    );
  });

  test.each<[string, McpDashboardProps, RegExp]>([
    [
      'no sidecar labels',
      { sidecarLabels: {} },
      /^McpDashboard: `sidecarLabels` must have at least one label/,
    ],
    [
      'a sidecar label with an invalid value',
      { sidecarLabels: { grafana_dashboard: 'yes please' } },
      /`sidecarLabels.grafana_dashboard` must be a Kubernetes label value/,
    ],
    [
      'a folder annotation that is not a key',
      { folderAnnotation: 'grafana folder' },
      /`folderAnnotation` must be a Kubernetes annotation key/,
    ],
    [
      'an empty folder',
      { folder: '' },
      /`folder` must not be empty \(got ""\); leave it out for the default folder/,
    ],
  ])('rejects %s', (_case, props, message) => {
    expect(() => dashboard(props)).toThrow(message);
  });
});

describe('McpMonitoring', () => {
  const monitoring = (props: McpMonitoringProps = {}, namespace?: string) =>
    synth((chart) => new McpMonitoring(chart, 'Monitoring', props), namespace);

  test('synthesizes a PrometheusRule, a ServiceMonitor and a dashboard ConfigMap', () => {
    const { objects } = monitoring({ instance: 'prod', labels: RELEASE }, 'mcp-prod');
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'PrometheusRule/mcp-prod/prod-server',
      'ServiceMonitor/mcp-prod/prod-server',
      'ConfigMap/mcp-prod/prod-server-dashboard',
    ]);
    for (const object of objects) expect(object.metadata.labels).toMatchObject(RELEASE);
  });

  test('has the alert rules as its Resource and stable child ids', () => {
    const { construct } = monitoring();
    expect(construct.node.children.map((c) => c.node.id)).toEqual([
      'Resource',
      'ServiceMonitor',
      'Dashboard',
    ]);
    expect(construct.node.defaultChild).toBe(construct.alertRules);
    expect(construct.prometheusRule.node.path).toBe('test/Monitoring/Resource/Resource');
  });

  test('exposes the rule groups and the dashboard JSON it synthesizes', () => {
    const { construct, objects } = monitoring({}, 'mcp-prod');
    expect(only(objects, 'PrometheusRule').spec.groups).toEqual(construct.ruleGroups);
    expect(Object.values(only(objects, 'ConfigMap').data)).toEqual([construct.dashboardJson]);
  });

  test('exposes rule tests for its own rules: thresholds, runbook links and scope included', () => {
    const { construct } = monitoring(
      { errorRatioThreshold: 0.2, runbookBaseUrl: 'https://runbooks.example.com/mcp' },
      'mcp-prod',
    );
    expect(construct.ruleTests).toEqual(
      buildRuleTests(
        {
          errorRatioThreshold: 0.2,
          runbookBaseUrl: 'https://runbooks.example.com/mcp',
          selector: { job: 'mcp-server', namespace: 'mcp-prod' },
        },
        construct.ruleGroups,
      ),
    );
    const firing = construct.ruleTests.tests[0];
    expect(firing?.input_series[0]?.series).toContain('namespace="mcp-prod"');
    expect(firing?.alert_rule_test.at(-1)?.exp_alerts[0]?.exp_annotations.description).toContain(
      '(threshold 20%)',
    );
  });

  test('watches the probe with its alerts, their rule tests and its panels when given a probe selector', () => {
    const probeSelector = { job: 'prod-probe', namespace: 'mcp-prod' };
    const { construct, objects } = monitoring({ instance: 'prod', probeSelector }, 'mcp-prod');
    const alerts = (construct.ruleGroups[1]?.rules ?? []).map((rule) => ('alert' in rule ? rule.alert : ''));
    expect(alerts.slice(-3)).toEqual([
      'McpProbeFailing',
      'McpCertificateExpiring',
      'McpCertificateExpiringCritical',
    ]);
    expect(construct.ruleTests.tests.filter((t) => t.name.startsWith('McpProbeFailing'))).toHaveLength(2);
    expect(dashboardPanels(construct.dashboard.dashboard).at(-1)?.targets[0]?.expr).toContain(
      'mcp_probe_tls_not_after_timestamp_seconds{job="prod-probe",namespace="mcp-prod"}',
    );
    const validators = crdValidators();
    const rule = only(objects, 'PrometheusRule');
    const validate = validators.get(`${rule.apiVersion} ${rule.kind}`) as ValidateFunction;
    expect(validate(rule) ? [] : validate.errors).toEqual([]);
  });

  test('scopes rules and panels alike, by the Service namespace when it is given', () => {
    const { construct } = monitoring({ serviceNamespaces: ['mcp-prod'] }, 'monitoring');
    const scope = '{job="mcp-server",namespace="mcp-prod"}';
    expect(construct.ruleGroups[1]?.rules[0]?.expr).toContain(scope);
    expect(dashboardPanels(construct.dashboard.dashboard)[0]?.targets[0]?.expr).toContain(scope);
  });

  test('gives its dashboard the SLO rows of its `slo`', () => {
    const { construct } = monitoring({ slo: { latency: { objective: 99, thresholdSeconds: 0.25 } } });
    const rows = construct.dashboard.dashboard.panels.filter((entry) => entry.type === 'row');
    expect(rows.map((row) => row.title)).toEqual(['Latency 99% within 250 ms over 30 days']);
    expect(construct.dashboardJson).toContain('mcp:slo_latency_errors:ratio_rate1h');
  });

  test('synthesizes objects the vendored CRD schemas accept', () => {
    const validators = crdValidators();
    const { objects } = monitoring(
      { labels: RELEASE, runbookBaseUrl: 'https://runbooks.example.com/mcp' },
      'mcp-prod',
    );
    for (const object of objects.filter((o) => o.kind !== 'ConfigMap')) {
      const validate = validators.get(`${object.apiVersion} ${object.kind}`);
      if (!validate) throw new Error(`no CRD schema for ${object.apiVersion} ${object.kind}`);
      expect(validate(object) ? [] : validate.errors).toEqual([]);
    }
  });

  test('gives the same objects for the same props', () => {
    expect(monitoring({ instance: 'prod' }, 'mcp-prod').objects).toEqual(
      monitoring({ instance: 'prod' }, 'mcp-prod').objects,
    );
  });

  test('rejects an invalid shared prop in its own name', () => {
    expect(() => monitoring({ name: 'Mcp' })).toThrow(/^McpMonitoring: `name` must be a DNS label/);
  });
});
