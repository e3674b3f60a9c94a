import { ApiObject, Chart } from 'cdk8s';
import type { Construct, IConstruct } from 'constructs';
import { collision, showValue } from '../errors';

/** Kinds whose objects live outside namespaces, so a namespace on one of them means nothing. */
const CLUSTER_SCOPED = new Set([
  'APIService',
  'CertificateSigningRequest',
  'ClusterIssuer',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'GatewayClass',
  'IngressClass',
  'MutatingWebhookConfiguration',
  'Namespace',
  'Node',
  'PersistentVolume',
  'PriorityClass',
  'RuntimeClass',
  'StorageClass',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'ValidatingWebhookConfiguration',
  'VolumeAttachment',
]);

/** What the environments of one app have claimed. */
interface Claims {
  /** `[namespace, instance]` (as JSON) to the path of the environment that uses it. */
  readonly instances: Map<string, string>;
  /** The environments, in the order they were made. */
  readonly environments: IConstruct[];
}

const claimsByApp = new WeakMap<IConstruct, Claims>();

function claimsOf(scope: IConstruct): Claims {
  const root = scope.node.root;
  let claims = claimsByApp.get(root);
  if (claims === undefined) {
    claims = { instances: new Map(), environments: [] };
    claimsByApp.set(root, claims);
  }
  return claims;
}

function inNamespace(namespace: string | undefined): string {
  return namespace === undefined ? 'in charts without a namespace' : `in namespace ${showValue(namespace)}`;
}

/**
 * Registers an environment under its instance in its chart's namespace, and checks at synth that
 * none of its objects shares group, kind, namespace and name with another object of the app.
 * Throws at once when another environment of the app uses the same instance in that namespace.
 */
export function claimInstance(environment: Construct, instance: string): void {
  const namespace = Chart.of(environment).namespace;
  const claims = claimsOf(environment);
  const key = JSON.stringify([namespace ?? '', instance]);
  const other = claims.instances.get(key);
  if (other !== undefined) {
    throw collision(
      `McpEnvironment: instance ${showValue(instance)} ${inNamespace(namespace)}`,
      [other, environment.node.path],
      'all their objects would share names (`<instance>-server`, `<instance>-postgres`, ...) and ' +
        'overwrite each other',
      'set a different `instance` on one of them',
    );
  }
  claims.instances.set(key, environment.node.path);
  claims.environments.push(environment);
  environment.node.addValidation({ validate: () => objectCollisions(environment, claims) });
}

interface ObjectIdentity {
  readonly key: string;
  readonly description: string;
}

/** Group, kind, namespace and name, as the API server tells objects apart (after JSON patches). */
function identify(object: ApiObject): ObjectIdentity {
  const json = object.toJson() as { apiVersion: string; kind: string; metadata?: Record<string, unknown> };
  const slash = json.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : json.apiVersion.slice(0, slash);
  const name = String(json.metadata?.name);
  const namespace = CLUSTER_SCOPED.has(json.kind) ? undefined : json.metadata?.namespace;
  const where = typeof namespace === 'string' ? ` in namespace ${showValue(namespace)}` : ' (no namespace)';
  return {
    key: JSON.stringify([group, json.kind, typeof namespace === 'string' ? namespace : '', name]),
    description: `${json.kind}${group ? `.${group}` : ''} ${showValue(name)}${where}`,
  };
}

/**
 * The objects of the app that share group, kind, namespace and name with one of the
 * environment's. Each clash is reported once, by the first environment that owns one of them.
 */
function objectCollisions(environment: IConstruct, claims: Claims): string[] {
  const groups = new Map<string, { description: string; objects: ApiObject[] }>();
  for (const node of environment.node.root.node.findAll()) {
    if (!ApiObject.isApiObject(node)) continue;
    const { key, description } = identify(node);
    const group = groups.get(key) ?? { description, objects: [] };
    group.objects.push(node);
    groups.set(key, group);
  }
  const ownerOf = (object: ApiObject) => claims.environments.find((env) => object.node.scopes.includes(env));
  const errors: string[] = [];
  for (const { description, objects } of groups.values()) {
    if (objects.length < 2) continue;
    if (objects.map(ownerOf).find((owner) => owner !== undefined) !== environment) continue;
    const mine = objects.find((object) => ownerOf(object) === environment) as ApiObject;
    const other = objects.find((object) => object !== mine) as ApiObject;
    const paths = objects.indexOf(other) < objects.indexOf(mine) ? [other, mine] : [mine, other];
    errors.push(
      collision(
        `Kubernetes object ${description}`,
        [paths[0].node.path, paths[1].node.path],
        'kubectl apply and Terraform would keep only one of them',
        'rename the other object, or set a different `instance` on the McpEnvironment',
      ).message,
    );
  }
  return errors;
}
