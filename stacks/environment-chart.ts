import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { Cache, Database } from '../constructs/k8s/data';
import { McpEnvironment, type McpEnvironmentProps } from '../constructs/k8s/environment';
import { componentName } from '../constructs/k8s/names';
import { IngressPreset, Routing, Tls } from '../constructs/k8s/routing';
import type { McpEnvironmentSpec } from '../constructs/spec';

/** The file stem of the chart's manifest: `<out>/kubernetes/mcpenv.k8s.yaml`. */
export const CHART_ID = 'mcpenv';

/**
 * Names of the Secrets the chart of an instance references; created outside it (see the README),
 * or by the Kubernetes stack.
 */
export function secretNames(instance: string) {
  const postgres = componentName(instance, 'postgres');
  const redis = componentName(instance, 'redis');
  return {
    postgresCredentials: postgres,
    redisPassword: redis,
    postgresConnection: `${postgres}-connection`,
    redisConnection: `${redis}-connection`,
  } as const;
}

function routingOf(spec: McpEnvironmentSpec): Routing {
  const routing = spec.routing;
  if (routing.kind === 'ingress') {
    return Routing.ingress({
      preset: routing.controller === 'aws-alb' ? IngressPreset.AWS_ALB : IngressPreset.NGINX,
      ...(routing.className ? { className: routing.className } : {}),
    });
  }
  return routing.gateway
    ? Routing.gatewayApi({ gateway: { name: routing.gateway.name, namespace: routing.gateway.namespace } })
    : Routing.gatewayApi({ createGateway: { gatewayClassName: routing.gatewayClassName as string } });
}

function tlsOf(spec: McpEnvironmentSpec): Tls | undefined {
  if (spec.tls?.clusterIssuer) return Tls.clusterIssuer(spec.tls.clusterIssuer);
  if (spec.tls?.acmeEmail) return Tls.acme({ email: spec.tls.acmeEmail });
  if (spec.tls?.acmCertificateArn) return Tls.acmCertificate(spec.tls.acmCertificateArn);
  return undefined;
}

/** Maps an environment spec (YAML) onto the props of the `McpEnvironment` construct. */
export function environmentProps(spec: McpEnvironmentSpec): McpEnvironmentProps {
  const tier = spec.dataTier;
  const tls = tlsOf(spec);
  const secrets = secretNames(spec.name);
  return {
    image: spec.image,
    publicUrl: spec.publicUrl,
    instance: spec.name,
    replicas: spec.replicas,
    ...(spec.maxReplicas === undefined ? {} : { maxReplicas: spec.maxReplicas }),
    database:
      tier.kind === 'in-cluster'
        ? Database.inCluster({
            credentialsSecret: secrets.postgresCredentials,
            storageSize: tier.postgresStorage,
          })
        : Database.external({ connectionSecret: secrets.postgresConnection, cidrs: tier.vpcCidrs }),
    cache:
      tier.kind === 'in-cluster'
        ? Cache.inCluster({
            passwordSecret: secrets.redisPassword,
            ...(tier.redisPersistence ? { persistence: true } : {}),
          })
        : Cache.external({ connectionSecret: secrets.redisConnection, cidrs: tier.vpcCidrs }),
    routing: routingOf(spec),
    ...(tls ? { tls } : {}),
    ...(spec.oauth ? { oauth: spec.oauth } : {}),
    ingressNamespace: spec.network.ingressNamespace,
    monitoringNamespace: spec.network.monitoringNamespace,
    ...(spec.monitoring.labels ? { monitoringLabels: spec.monitoring.labels } : {}),
    ...(spec.monitoring.dashboardLabels ? { dashboardLabels: spec.monitoring.dashboardLabels } : {}),
    ...(spec.monitoring.runbookBaseUrl ? { runbookBaseUrl: spec.monitoring.runbookBaseUrl } : {}),
    ...(spec.monitoring.alerts ? { alerts: spec.monitoring.alerts } : {}),
  };
}

/** The Kubernetes side of one environment: every object lives in the spec's namespace. */
export class EnvironmentChart extends Chart {
  readonly environment: McpEnvironment;

  constructor(scope: Construct, spec: McpEnvironmentSpec) {
    super(scope, CHART_ID, {
      namespace: spec.namespace,
      disableResourceNameHashes: true,
      labels: { 'mcpenv.dev/environment': spec.name },
    });
    this.environment = new McpEnvironment(this, 'Environment', environmentProps(spec));
  }
}
