import '../constructs/peers/provider-aws';
import '../constructs/peers/provider-kubernetes';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Manifest } from '@cdktf/provider-kubernetes/lib/manifest';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { SECRET_KEYS } from '@mcpenv/contract';
import { TerraformLocal, TerraformStack, TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import type { McpEnvironmentSpec } from '../constructs/spec';
import { configureBackend } from './backend';
import { environmentNamespace, secretNames } from './environment-chart';

/** Stack id; also its folder under `<out>/terraform/stacks/`. A public contract: never rename. */
export const KUBERNETES_STACK_ID = 'kubernetes';

/** What the Kubernetes stack needs from the AWS data stack (cross-stack references). */
export interface AwsDataConnections {
  readonly region: string;
  readonly postgresAddress: string;
  readonly postgresPort: number;
  readonly postgresDatabase: string;
  /** Secrets Manager secret RDS manages for the master user (JSON with username and password). */
  readonly postgresSecretArn: string;
  readonly redisAddress: string;
  readonly redisPort: number;
  /** Secrets Manager secret holding the ElastiCache auth token (JSON with a password key). */
  readonly redisSecretArn: string;
}

export interface KubernetesStackProps {
  readonly spec: McpEnvironmentSpec;
  /** The chart's objects, exactly as cdk8s synthesizes them. */
  readonly objects: readonly Record<string, unknown>[];
  /** The AWS data tier, when the environment has one. */
  readonly aws?: AwsDataConnections;
}

/** A stable, readable resource id for a manifest: kind and name (the namespace is the stack's). */
export function manifestId(object: Record<string, unknown>): string {
  const metadata = (object.metadata ?? {}) as { name?: string; namespace?: string };
  const parts = [String(object.kind), metadata.namespace ? '' : 'cluster', String(metadata.name)].filter(
    Boolean,
  );
  return parts
    .join('_')
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_');
}

/**
 * The Kubernetes side through Terraform: the namespace (Pod Security "restricted" enforced), the
 * Secrets the chart references, and every object of the cdk8s chart as a `kubernetes_manifest`,
 * so Terraform creates, updates and deletes them with the chart (an object dropped from the chart
 * is destroyed). Secret values are written with write-only attributes from ephemeral values:
 * they are never stored in Terraform state.
 */
export class KubernetesStack extends TerraformStack {
  readonly namespace: NamespaceV1;
  readonly secrets: readonly SecretV1[];
  readonly manifests: readonly Manifest[];

  constructor(scope: Construct, props: KubernetesStackProps) {
    super(scope, KUBERNETES_STACK_ID);
    const { spec } = props;
    const names = secretNames(spec.name);
    configureBackend(this, spec, KUBERNETES_STACK_ID);
    // Cluster access comes from the environment (KUBE_CONFIG_PATH, KUBE_CTX, or in-cluster).
    new KubernetesProvider(this, 'kubernetes', {});

    this.namespace = new NamespaceV1(this, 'Namespace', {
      metadata: {
        name: environmentNamespace(spec),
        labels: {
          'app.kubernetes.io/managed-by': 'mcpenv',
          'mcpenv.dev/environment': spec.name,
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/audit': 'restricted',
          'pod-security.kubernetes.io/warn': 'restricted',
        },
      },
    });

    const revision = new TerraformVariable(this, 'secrets_revision', {
      type: 'number',
      default: 1,
      description:
        'Bump to rewrite the Kubernetes Secrets (their values are write-only, so Terraform cannot see changes).',
    });
    const secret = (id: string, name: string, data: Record<string, string>) =>
      new SecretV1(this, id, {
        metadata: { name, namespace: this.namespace.metadata.name },
        type: 'Opaque',
        dataWo: data,
        dataWoRevision: revision.numberValue,
      });

    if (props.aws) {
      const aws = props.aws;
      new AwsProvider(this, 'aws', { region: aws.region });
      // Cross-stack values enter through locals; the ephemeral reads below refer to them.
      const postgresSecret = new TerraformLocal(this, 'postgres_secret_arn', aws.postgresSecretArn);
      const redisSecret = new TerraformLocal(this, 'redis_secret_arn', aws.redisSecretArn);
      this.addOverride('ephemeral.aws_secretsmanager_secret_version', {
        postgres: { secret_id: postgresSecret.asString },
        redis: { secret_id: redisSecret.asString },
      });
      const fromSecret = (name: string, key: string) =>
        `\${jsondecode(ephemeral.aws_secretsmanager_secret_version.${name}.secret_string).${key}}`;
      this.secrets = [
        // Keys as the contract names them; the right-hand keys are RDS's and ours in Secrets Manager.
        secret('PostgresConnection', names.postgresConnection, {
          [SECRET_KEYS.postgresConnection.host]: aws.postgresAddress,
          [SECRET_KEYS.postgresConnection.port]: String(aws.postgresPort),
          [SECRET_KEYS.postgresConnection.dbname]: aws.postgresDatabase,
          [SECRET_KEYS.postgresConnection.username]: fromSecret('postgres', 'username'),
          [SECRET_KEYS.postgresConnection.password]: fromSecret('postgres', 'password'),
        }),
        secret('RedisConnection', names.redisConnection, {
          [SECRET_KEYS.redisConnection.host]: aws.redisAddress,
          [SECRET_KEYS.redisConnection.port]: String(aws.redisPort),
          [SECRET_KEYS.redisConnection.password]: fromSecret('redis', 'password'),
        }),
      ];
    } else {
      const password = (id: string, what: string) => {
        const variable = new TerraformVariable(this, id, {
          type: 'string',
          sensitive: true,
          nullable: false,
          description: `Password of the in-cluster ${what} (pass it as TF_VAR_${id}; at least 16 characters).`,
          validation: [
            {
              condition: `\${length(var.${id}) >= 16}`,
              errorMessage: `${id} must be at least 16 characters long.`,
            },
          ],
        });
        // Ephemeral (Terraform 1.10+): usable only where values are not persisted, such as data_wo.
        variable.addOverride('ephemeral', true);
        return variable;
      };
      const postgresPassword = password('postgres_password', 'Postgres');
      const redisPassword = password('redis_password', 'Redis');
      this.secrets = [
        secret('PostgresCredentials', names.postgresCredentials, {
          [SECRET_KEYS.postgresCredentials.username]: 'mcp',
          [SECRET_KEYS.postgresCredentials.password]: postgresPassword.stringValue,
        }),
        secret('RedisPassword', names.redisPassword, {
          [SECRET_KEYS.redisPassword.password]: redisPassword.stringValue,
        }),
      ];
    }

    const dependsOn = [this.namespace, ...this.secrets];
    this.manifests = props.objects.map(
      (object) =>
        new Manifest(this, manifestId(object), {
          manifest: object as Record<string, unknown>,
          dependsOn,
        }),
    );
  }
}
