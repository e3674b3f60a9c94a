import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { type PropOrigins, reportedAs } from '../constructs/errors';
import { BackupStorage, type PostgresBackupOptions } from '../constructs/k8s/backup';
import { Cache, Database } from '../constructs/k8s/data';
import { McpEnvironment, type McpEnvironmentProps } from '../constructs/k8s/environment';
import { checkInstance, componentName } from '../constructs/k8s/names';
import { Routing, Tls } from '../constructs/k8s/routing';
import {
  type BackupStorageSpec,
  type DataTierSpec,
  type McpEnvironmentSpec,
  optionsOf,
  type PostgresBackupSpec,
  type RoutingSpec,
  type TlsSpec,
} from '../constructs/spec';

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

/** How the chart signs the prop errors it reports under the spec's paths. */
export const ENVIRONMENT_CHART_NAME = 'EnvironmentChart';

/** The namespace of an environment's objects. */
export function environmentNamespace(spec: McpEnvironmentSpec): string {
  return spec.namespace ?? `mcp-${spec.name}`;
}

function routingOf(routing: RoutingSpec): Routing {
  return routing.kind === 'ingress'
    ? Routing.ingress(optionsOf(routing))
    : Routing.gatewayApi(optionsOf(routing));
}

function tlsOf(tls: TlsSpec): Tls {
  switch (tls.kind) {
    case 'cluster-issuer':
      return Tls.clusterIssuer(tls.name);
    case 'acme':
      return Tls.acme(optionsOf(tls));
    case 'acm-certificate':
      return Tls.acmCertificate(tls.certificateArn);
  }
}

function backupStorageOf(storage: BackupStorageSpec): BackupStorage {
  switch (storage.kind) {
    case 'persistent-volume':
      return BackupStorage.persistentVolume(optionsOf(storage));
    case 'existing-claim':
      return BackupStorage.existingClaim(optionsOf(storage));
    case 's3':
      return BackupStorage.s3(optionsOf(storage));
  }
}

function backupOf(backup: PostgresBackupSpec): PostgresBackupOptions {
  const { storage, ...options } = backup;
  return { ...options, ...(storage !== undefined ? { storage: backupStorageOf(storage) } : {}) };
}

/** The Postgres and Redis choices for a data tier; the Secrets they read are the stacks'. */
function dataStoresOf(
  instance: string,
  tier: DataTierSpec = { kind: 'in-cluster' },
): Pick<McpEnvironmentProps, 'database' | 'cache'> {
  const secrets = secretNames(instance);
  if (tier.kind === 'in-cluster') {
    const { backup, ...postgres } = tier.postgres ?? {};
    return {
      database: Database.inCluster({
        ...postgres,
        ...(backup !== undefined ? { backup: backupOf(backup) } : {}),
        credentialsSecret: secrets.postgresCredentials,
      }),
      cache: Cache.inCluster({ ...tier.redis, passwordSecret: secrets.redisPassword }),
    };
  }
  const cidrs = tier.vpcCidrs;
  return {
    database: Database.external({ connectionSecret: secrets.postgresConnection, cidrs }),
    cache: Cache.external({ connectionSecret: secrets.redisConnection, cidrs }),
  };
}

/**
 * Maps an environment spec onto the props of the `McpEnvironment` construct: its props pass
 * through under their own names, the choices become the factories they name.
 */
export function environmentProps(spec: McpEnvironmentSpec): McpEnvironmentProps {
  const { name, namespace: _namespace, dataTier, terraformBackend: _backend, routing, tls, ...props } = spec;
  // The Secret names derive from the instance: check it before the data stores take them.
  checkInstance('McpEnvironment', name);
  return {
    ...props,
    instance: name,
    ...dataStoresOf(name, dataTier),
    ...(routing !== undefined ? { routing: routingOf(routing) } : {}),
    ...(tls !== undefined ? { tls: tlsOf(tls) } : {}),
  };
}

/** The spec's paths for the props of the constructs the chart makes from it. */
const SPEC_PATHS: PropOrigins = {
  McpEnvironment: { prefix: '', props: { instance: 'name' } },
  'Routing.ingress': { prefix: 'routing.' },
  'Routing.gatewayApi': { prefix: 'routing.' },
  'Tls.clusterIssuer': { prefix: 'tls.' },
  'Tls.acme': { prefix: 'tls.' },
  'Tls.acmCertificate': { prefix: 'tls.' },
  'Database.inCluster': { prefix: 'dataTier.postgres.' },
  'BackupStorage.persistentVolume': { prefix: 'dataTier.postgres.backup.storage.' },
  'BackupStorage.existingClaim': { prefix: 'dataTier.postgres.backup.storage.' },
  'BackupStorage.s3': { prefix: 'dataTier.postgres.backup.storage.' },
  'Cache.inCluster': { prefix: 'dataTier.redis.' },
  'Database.external': { props: { cidrs: 'dataTier.vpcCidrs' } },
  'Cache.external': { props: { cidrs: 'dataTier.vpcCidrs' } },
};

/**
 * The Kubernetes side of one environment: every object lives in the spec's namespace. A prop
 * error of a construct it makes is reported under the spec's path for that prop.
 */
export class EnvironmentChart extends Chart {
  readonly environment: McpEnvironment;

  constructor(scope: Construct, spec: McpEnvironmentSpec) {
    super(scope, CHART_ID, {
      namespace: environmentNamespace(spec),
      disableResourceNameHashes: true,
      labels: { 'mcpenv.dev/environment': spec.name },
    });
    this.environment = reportedAs(
      ENVIRONMENT_CHART_NAME,
      SPEC_PATHS,
      () => new McpEnvironment(this, 'Environment', environmentProps(spec)),
    );
  }
}
