import { Chart } from 'cdk8s';
import { KubeConfigMap } from 'cdk8s-plus-28/lib/imports/k8s';
import { Construct } from 'constructs';
import { invalidProp } from '../errors';
import { check, LABEL_KEY, LABEL_VALUE, labelKey, labelValue } from '../validators';
import { type AlertRulesProps, buildAlertRules, type RuleGroup } from '../monitoring/alerts';
import {
  buildDashboard,
  dashboardToJson,
  type DashboardProps,
  type GrafanaDashboard,
} from '../monitoring/dashboard';
import type { Selector } from '../monitoring/promql';
import { buildRuleTests, buildSloRuleTestFile, type RuleTestFile } from '../monitoring/rule-tests';
import {
  PrometheusRule,
  PrometheusRuleSpecGroupsRulesExpr,
} from './imports/prometheus-rules-monitoring.coreos.com';
import {
  ServiceMonitor,
  ServiceMonitorSpecEndpointsRelabelingsAction,
} from './imports/service-monitors-monitoring.coreos.com';
import { commonLabels, selectorLabels } from './labels';
import { checkServerName, componentName, DEFAULT_INSTANCE, DNS_LABEL } from './names';

/** A named container port (IANA_SVC_NAME). */
const PORT_NAME = /^(?=.*[a-z])[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$/;
/** Labels the constructs set on every monitoring object themselves. */
const MANAGED_LABELS = new Set([
  'app.kubernetes.io/name',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/part-of',
  'app.kubernetes.io/managed-by',
  'app.kubernetes.io/component',
]);

/** Props every monitoring construct shares: which server it watches and how its objects are labelled. */
export interface McpMonitoringTargetProps {
  /**
   * Name of the server's Service (the workload's `name`): the ServiceMonitor selects it, the
   * Prometheus Operator uses it as the `job` label, and the monitoring objects are named after it.
   * @default - `<instance>-server`, or 'mcp-server' without an `instance`
   */
  readonly name?: string;
  /**
   * The server's `app.kubernetes.io/instance` label, usually the environment name.
   * @default - the same as `name`
   */
  readonly instance?: string;
  /**
   * Extra labels on the monitoring objects, such as `{ release: 'kube-prometheus-stack' }` so that
   * the Prometheus's `serviceMonitorSelector` and `ruleSelector` pick them up.
   * @default - none
   */
  readonly labels?: Readonly<Record<string, string>>;
}

export interface McpServiceMonitorProps extends McpMonitoringTargetProps {
  /**
   * Name of the Service port that serves the metrics.
   * @default 'http'
   */
  readonly portName?: string;
  /**
   * HTTP path of the metrics.
   * @default '/metrics'
   */
  readonly metricsPath?: string;
  /**
   * How often Prometheus scrapes each pod.
   * @default 30
   */
  readonly scrapeIntervalSeconds?: number;
  /**
   * How long a scrape may take; at most the interval.
   * @default 10
   */
  readonly scrapeTimeoutSeconds?: number;
  /**
   * Namespaces in which to look for the Service.
   * @default - the chart's namespace when it has one, else the ServiceMonitor's own namespace
   */
  readonly serviceNamespaces?: readonly string[];
}

export interface McpAlertRulesProps extends McpMonitoringTargetProps, AlertRulesProps {
  /**
   * Target labels that scope every rule to this deployment of the server.
   * @default - `{ job: <name> }`, plus `namespace` when the chart has one
   */
  readonly selector?: Selector;
}

export interface McpDashboardProps
  extends McpMonitoringTargetProps, Omit<DashboardProps, 'name' | 'instance'> {
  /**
   * Target labels that scope every panel to this deployment of the server.
   * @default - `{ job: <name> }`, plus `namespace` when the chart has one
   */
  readonly selector?: Selector;
  /**
   * Labels by which the Grafana dashboard sidecar finds the ConfigMap.
   * @default { grafana_dashboard: '1' }
   */
  readonly sidecarLabels?: Readonly<Record<string, string>>;
  /**
   * Grafana folder to put the dashboard in, written to the `folderAnnotation` annotation.
   * @default - no folder annotation: the sidecar's default folder
   */
  readonly folder?: string;
  /**
   * Annotation the sidecar reads the folder from (its `folderAnnotation` setting).
   * @default 'grafana_folder'
   */
  readonly folderAnnotation?: string;
}

export interface McpMonitoringProps extends McpServiceMonitorProps, McpAlertRulesProps, McpDashboardProps {
  /**
   * Target labels that scope every rule and panel to this deployment of the server.
   * @default - `{ job: <name> }`, plus `namespace`: the only entry of `serviceNamespaces`, else the chart's namespace
   */
  readonly selector?: Selector;
}

interface Target {
  readonly name: string;
  readonly instance: string;
  readonly labels: Record<string, string>;
}

function checkLabels(where: string, prop: string, labels: Readonly<Record<string, string>>): void {
  for (const [key, value] of Object.entries(labels)) {
    check(where, `${prop}.${key}`, key, labelKey);
    if (MANAGED_LABELS.has(key)) {
      throw invalidProp(where, `${prop}.${key}`, 'not be set: the construct manages it', key, 'remove it');
    }
    check(where, `${prop}.${key}`, value, labelValue);
  }
}

/** Validates the shared props and returns the object labels. */
function resolveTarget(where: string, props: McpMonitoringTargetProps): Target {
  const name = props.name ?? componentName(props.instance ?? DEFAULT_INSTANCE, 'server');
  const instance = props.instance ?? name;
  if (instance === '' || !LABEL_VALUE.test(instance)) {
    throw invalidProp(where, 'instance', 'be a Kubernetes label value of at most 63 characters', instance);
  }
  checkServerName(where, name, props);
  const extra = props.labels ?? {};
  checkLabels(where, 'labels', extra);
  return {
    name,
    instance,
    labels: { ...extra, ...commonLabels(name, instance), 'app.kubernetes.io/component': 'monitoring' },
  };
}

/**
 * The target labels the Prometheus Operator gives a Service's series: its job (the Service's
 * name) and, when known, its namespace.
 */
export function jobSelector(job: string, namespace: string | undefined): Selector {
  return namespace ? { job, namespace } : { job };
}

/**
 * A Prometheus Operator ServiceMonitor that scrapes the server's Service on its `http` port.
 *
 * The operator labels every target with `endpoint` (the port name), which collides with the
 * server's own `endpoint` metric label and would rename it to `exported_endpoint`; the
 * ServiceMonitor drops the target label so the metrics keep the names the rules and the
 * dashboard query.
 */
export class McpServiceMonitor extends Construct {
  /** The ServiceMonitor (the construct's `Resource`). */
  readonly serviceMonitor: ServiceMonitor;

  constructor(scope: Construct, id: string, props: McpServiceMonitorProps = {}) {
    super(scope, id);
    const where = 'McpServiceMonitor';
    const target = resolveTarget(where, props);
    const portName = props.portName ?? 'http';
    const metricsPath = props.metricsPath ?? '/metrics';
    const interval = props.scrapeIntervalSeconds ?? 30;
    const timeout = props.scrapeTimeoutSeconds ?? 10;
    const namespaces =
      props.serviceNamespaces ??
      (Chart.of(this).namespace ? [Chart.of(this).namespace as string] : undefined);

    if (!PORT_NAME.test(portName)) {
      throw invalidProp(
        where,
        'portName',
        'be a port name of at most 15 lowercase letters, digits or "-"',
        portName,
      );
    }
    if (!metricsPath.startsWith('/')) {
      throw invalidProp(where, 'metricsPath', 'start with "/"', metricsPath);
    }
    if (!Number.isInteger(interval) || interval < 1) {
      throw invalidProp(where, 'scrapeIntervalSeconds', 'be a whole number of at least 1', interval);
    }
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > interval) {
      throw invalidProp(
        where,
        'scrapeTimeoutSeconds',
        `be a whole number from 1 to scrapeIntervalSeconds (${interval})`,
        timeout,
      );
    }
    if (
      namespaces !== undefined &&
      (namespaces.length === 0 || namespaces.some((ns) => !DNS_LABEL.test(ns)))
    ) {
      throw invalidProp(
        where,
        'serviceNamespaces',
        'list at least one namespace, each a DNS label',
        namespaces,
      );
    }

    this.serviceMonitor = new ServiceMonitor(this, 'Resource', {
      metadata: { name: target.name, labels: target.labels },
      spec: {
        selector: { matchLabels: selectorLabels(target.name, target.instance) },
        ...(namespaces ? { namespaceSelector: { matchNames: [...namespaces] } } : {}),
        endpoints: [
          {
            port: portName,
            path: metricsPath,
            interval: `${interval}s`,
            scrapeTimeout: `${timeout}s`,
            relabelings: [
              { action: ServiceMonitorSpecEndpointsRelabelingsAction.LABELDROP, regex: 'endpoint' },
            ],
          },
        ],
      },
    });
  }
}

/** A Prometheus Operator PrometheusRule holding the server's recording rules and alerts. */
export class McpAlertRules extends Construct {
  /** The PrometheusRule (the construct's `Resource`). */
  readonly prometheusRule: PrometheusRule;
  /** The rule groups, also for writing a plain `rules.yaml` with `toPrometheusRulesYaml`. */
  readonly ruleGroups: readonly RuleGroup[];
  /**
   * `promtool test rules` cases for these rules, a firing and a silent one per alert, for
   * writing `rules.test.yaml` next to `rules.yaml` with `toRuleTestsYaml`.
   */
  readonly ruleTests: RuleTestFile;
  /**
   * The cases of the SLO alerts on windows of hours and days, evaluated every five minutes, for
   * writing `rules.slo.test.yaml` beside them; none without such alerts.
   */
  readonly sloRuleTests?: RuleTestFile;

  constructor(scope: Construct, id: string, props: McpAlertRulesProps = {}) {
    super(scope, id);
    const target = resolveTarget('McpAlertRules', props);
    const ruleProps = {
      ...props,
      selector: props.selector ?? jobSelector(target.name, Chart.of(this).namespace),
    };
    this.ruleGroups = buildAlertRules(ruleProps);
    this.ruleTests = buildRuleTests(ruleProps, this.ruleGroups);
    const sloRuleTests = buildSloRuleTestFile(ruleProps, this.ruleGroups);
    if (sloRuleTests !== undefined) this.sloRuleTests = sloRuleTests;

    this.prometheusRule = new PrometheusRule(this, 'Resource', {
      metadata: { name: target.name, labels: target.labels },
      spec: {
        groups: this.ruleGroups.map((group) => ({
          name: group.name,
          ...(group.interval !== undefined ? { interval: group.interval } : {}),
          rules: group.rules.map((rule) =>
            'record' in rule
              ? { record: rule.record, expr: PrometheusRuleSpecGroupsRulesExpr.fromString(rule.expr) }
              : {
                  alert: rule.alert,
                  expr: PrometheusRuleSpecGroupsRulesExpr.fromString(rule.expr),
                  for: rule.for,
                  labels: { ...rule.labels },
                  annotations: { ...rule.annotations },
                },
          ),
        })),
      },
    });
  }
}

/**
 * A ConfigMap holding the server's Grafana dashboard, labelled for the Grafana dashboard sidecar
 * (as kube-prometheus-stack runs it). The file is named after the dashboard's uid, so dashboards
 * of several environments never overwrite each other in the sidecar's folder.
 */
export class McpDashboard extends Construct {
  /** The ConfigMap (the construct's `Resource`). */
  readonly configMap: KubeConfigMap;
  /** The dashboard model. */
  readonly dashboard: GrafanaDashboard;
  /** The dashboard JSON as stored in the ConfigMap, also for writing a dashboard file. */
  readonly dashboardJson: string;
  /** The ConfigMap key (file name) holding the dashboard. */
  readonly fileName: string;

  constructor(scope: Construct, id: string, props: McpDashboardProps = {}) {
    super(scope, id);
    const where = 'McpDashboard';
    const target = resolveTarget(where, props);
    const sidecarLabels = props.sidecarLabels ?? { grafana_dashboard: '1' };
    const folderAnnotation = props.folderAnnotation ?? 'grafana_folder';
    if (Object.keys(sidecarLabels).length === 0) {
      throw invalidProp(
        where,
        'sidecarLabels',
        'have at least one label',
        sidecarLabels,
        'the sidecar finds nothing',
      );
    }
    checkLabels(where, 'sidecarLabels', sidecarLabels);
    if (!LABEL_KEY.test(folderAnnotation)) {
      throw invalidProp(where, 'folderAnnotation', 'be a Kubernetes annotation key', folderAnnotation);
    }
    if (props.folder !== undefined && props.folder.trim() === '') {
      throw invalidProp(where, 'folder', 'not be empty', props.folder, 'leave it out for the default folder');
    }

    this.dashboard = buildDashboard({
      ...props,
      name: target.name,
      instance: target.instance,
      selector: props.selector ?? jobSelector(target.name, Chart.of(this).namespace),
    });
    this.dashboardJson = dashboardToJson(this.dashboard);
    this.fileName = `${this.dashboard.uid}.json`;

    this.configMap = new KubeConfigMap(this, 'Resource', {
      metadata: {
        name: `${target.name}-dashboard`,
        labels: { ...target.labels, ...sidecarLabels },
        ...(props.folder !== undefined ? { annotations: { [folderAnnotation]: props.folder } } : {}),
      },
      data: { [this.fileName]: this.dashboardJson },
    });
  }
}

/**
 * Monitoring for one deployment of the MCP server: a ServiceMonitor that scrapes it, a
 * PrometheusRule with its recording rules and alerts (the `Resource`), and a Grafana dashboard
 * ConfigMap, all scoped by the same selector.
 */
export class McpMonitoring extends Construct {
  /** The alert rules (the construct's `Resource`). */
  readonly alertRules: McpAlertRules;
  /** The ServiceMonitor. */
  readonly serviceMonitor: McpServiceMonitor;
  /** The dashboard ConfigMap. */
  readonly dashboard: McpDashboard;
  /** The rule groups, for writing a plain `rules.yaml` with `toPrometheusRulesYaml`. */
  readonly ruleGroups: readonly RuleGroup[];
  /** The rules' `promtool test rules` cases, for writing `rules.test.yaml` with `toRuleTestsYaml`. */
  readonly ruleTests: RuleTestFile;
  /** The slow SLO alerts' cases, for writing `rules.slo.test.yaml`; none without them. */
  readonly sloRuleTests?: RuleTestFile;
  /** The dashboard JSON, for writing a dashboard file. */
  readonly dashboardJson: string;

  constructor(scope: Construct, id: string, props: McpMonitoringProps = {}) {
    super(scope, id);
    const { name } = resolveTarget('McpMonitoring', props);
    const namespaces = props.serviceNamespaces;
    const namespace =
      namespaces === undefined
        ? Chart.of(this).namespace
        : namespaces.length === 1
          ? namespaces[0]
          : undefined;
    const selector = props.selector ?? jobSelector(name, namespace);

    this.alertRules = new McpAlertRules(this, 'Resource', { ...props, selector });
    this.serviceMonitor = new McpServiceMonitor(this, 'ServiceMonitor', props);
    this.dashboard = new McpDashboard(this, 'Dashboard', { ...props, selector });
    this.ruleGroups = this.alertRules.ruleGroups;
    this.ruleTests = this.alertRules.ruleTests;
    if (this.alertRules.sloRuleTests !== undefined) this.sloRuleTests = this.alertRules.sloRuleTests;
    this.dashboardJson = this.dashboard.dashboardJson;
  }

  /** The PrometheusRule object. */
  get prometheusRule(): PrometheusRule {
    return this.alertRules.prometheusRule;
  }
}
