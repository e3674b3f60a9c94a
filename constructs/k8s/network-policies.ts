import {
  IntOrString,
  KubeNetworkPolicy,
  type NetworkPolicyEgressRule,
  type NetworkPolicyPeer,
} from 'cdk8s-plus-28/lib/imports/k8s';
import { Construct } from 'constructs';
import { invalidProp } from '../errors';
import { check, dnsLabel, ipv4Cidr, requireProps, wholeNumber } from '../validators';
import type { DataStoreBinding } from './data';
import { checkInstance, componentName, DEFAULT_INSTANCE } from './names';

/** Private and link-local ranges: internet egress must not reach the cluster, the VPC or the metadata API. */
export const NON_PUBLIC = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  '169.254.0.0/16',
];

/** Selects the pods of a namespace by its name (the label Kubernetes sets on every namespace). */
export function namespaceNamed(namespace: string): NetworkPolicyPeer {
  return { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } } };
}

/** Name lookups: the cluster DNS (kube-dns or CoreDNS, labelled `k8s-app: kube-dns`), UDP and TCP. */
export function dnsEgress(): NetworkPolicyEgressRule {
  return {
    to: [
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
        podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      },
    ],
    ports: [
      { protocol: 'UDP', port: IntOrString.fromNumber(53) },
      { protocol: 'TCP', port: IntOrString.fromNumber(53) },
    ],
  };
}

export interface McpNetworkPoliciesProps {
  /** Labels of the server's pods. */
  readonly serverPodSelector: Readonly<Record<string, string>>;
  /**
   * The environment's instance: the policies are named `<instance>-default-deny`,
   * `<instance>-server`, ..., and the default deny selects the pods labelled with it.
   * @default - the `app.kubernetes.io/instance` label of `serverPodSelector`, else 'mcp'
   */
  readonly instance?: string;
  /** The server's container port (traffic and metrics). */
  readonly serverPort: number;
  /** The data stores the server talks to (their bindings from `Database`/`Cache`). */
  readonly dataStores: readonly DataStoreBinding[];
  /**
   * Who may reach the server: the ingress controller or gateway.
   * @default - pods in the namespace `ingress-nginx`
   */
  readonly ingressFrom?: readonly NetworkPolicyPeer[];
  /**
   * Who may scrape the server's metrics.
   * @default - pods in the namespace `monitoring`
   */
  readonly metricsFrom?: readonly NetworkPolicyPeer[];
  /**
   * Where the server may open HTTPS connections (the OAuth issuer's JWKS). Empty when the server
   * accepts API keys only.
   * @default - public internet addresses on port 443, never private ranges or the metadata API
   */
  readonly httpsEgressCidrs?: readonly string[];
  /**
   * Allow HTTPS egress at all (needed for OAuth JWKS).
   * @default true
   */
  readonly allowHttpsEgress?: boolean;
  /**
   * Namespace of the OpenTelemetry collector's pods the server exports traces to; with
   * `otlpCollectorPort`, the server may reach that port of pods in that namespace, nothing more.
   * @default - no egress to a collector
   */
  readonly otlpCollectorNamespace?: string;
  /**
   * The collector pods' OTLP port (the pod's, not its Service's); set with `otlpCollectorNamespace`.
   * @default - no egress to a collector
   */
  readonly otlpCollectorPort?: number;
}

/** The egress rule to the trace collector, when both its namespace and its port are given. */
function otlpCollectorEgress(where: string, props: McpNetworkPoliciesProps): NetworkPolicyEgressRule[] {
  const { otlpCollectorNamespace: namespace, otlpCollectorPort: port } = props;
  if (namespace === undefined && port === undefined) return [];
  if (namespace === undefined || port === undefined) {
    const [missing, given] =
      namespace === undefined
        ? ['otlpCollectorNamespace', 'otlpCollectorPort']
        : ['otlpCollectorPort', 'otlpCollectorNamespace'];
    throw invalidProp(where, missing, `be set with ${given}`, undefined, 'set both, or neither');
  }
  check(where, 'otlpCollectorNamespace', namespace, dnsLabel());
  check(where, 'otlpCollectorPort', port, wholeNumber(1, 65535));
  return [
    { to: [namespaceNamed(namespace)], ports: [{ protocol: 'TCP', port: IntOrString.fromNumber(port) }] },
  ];
}

/**
 * Default deny for the environment's own pods (those of its instance), then exactly the traffic
 * the environment needs: the ingress controller and Prometheus to the server; the server to its
 * data stores, DNS, the OAuth issuer and the trace collector; the data stores from the server
 * only (its migration init container included) and the clients their bindings name (the
 * Postgres backup job). Other pods in the namespace, another
 * environment's or your own, are left to their own policies.
 */
export class McpNetworkPolicies extends Construct {
  readonly defaultDeny: KubeNetworkPolicy;
  readonly server: KubeNetworkPolicy;

  constructor(scope: Construct, id: string, props: McpNetworkPoliciesProps) {
    super(scope, id);
    const where = 'McpNetworkPolicies';
    requireProps(where, props, {
      serverPodSelector: "pass the labels of the server's pods (McpServerWorkload.podSelector)",
      serverPort: "pass the server's container port (McpServerWorkload.port)",
      dataStores: 'pass the bindings of the data stores the server talks to (an empty list for none)',
    });
    if (Object.keys(props.serverPodSelector).length === 0) {
      throw invalidProp(where, 'serverPodSelector', 'name at least one label', props.serverPodSelector);
    }
    if (props.httpsEgressCidrs?.length === 0) {
      // An egress rule with no peers would allow every destination.
      throw invalidProp(
        where,
        'httpsEgressCidrs',
        'list at least one CIDR block',
        props.httpsEgressCidrs,
        'set allowHttpsEgress: false for no HTTPS egress',
      );
    }
    const instance =
      props.instance ?? props.serverPodSelector['app.kubernetes.io/instance'] ?? DEFAULT_INSTANCE;
    checkInstance(where, instance);
    for (const cidr of props.httpsEgressCidrs ?? []) check(where, 'httpsEgressCidrs', cidr, ipv4Cidr);
    const collector = otlpCollectorEgress(where, props);
    const serverPort = IntOrString.fromNumber(props.serverPort);

    this.defaultDeny = new KubeNetworkPolicy(this, 'DefaultDeny', {
      metadata: { name: componentName(instance, 'default-deny') },
      spec: {
        podSelector: {
          matchLabels: { 'app.kubernetes.io/instance': instance, 'app.kubernetes.io/part-of': 'mcpenv' },
        },
        policyTypes: ['Ingress', 'Egress'],
      },
    });

    const https =
      props.allowHttpsEgress === false
        ? []
        : [
            {
              to: (props.httpsEgressCidrs ?? ['0.0.0.0/0']).map((cidr) => ({
                ipBlock: { cidr, ...(cidr === '0.0.0.0/0' ? { except: NON_PUBLIC } : {}) },
              })),
              ports: [{ protocol: 'TCP', port: IntOrString.fromNumber(443) }],
            },
          ];

    this.server = new KubeNetworkPolicy(this, 'Resource', {
      metadata: { name: componentName(instance, 'server') },
      spec: {
        podSelector: { matchLabels: props.serverPodSelector },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          {
            from: [...(props.ingressFrom ?? [namespaceNamed('ingress-nginx')])],
            ports: [{ protocol: 'TCP', port: serverPort }],
          },
          {
            from: [...(props.metricsFrom ?? [namespaceNamed('monitoring')])],
            ports: [{ protocol: 'TCP', port: serverPort }],
          },
        ],
        egress: [
          ...props.dataStores.map((store) => ({
            to: [...store.peers],
            ports: [{ protocol: 'TCP', port: IntOrString.fromNumber(store.port) }],
          })),
          dnsEgress(),
          ...https,
          ...collector,
        ],
      },
    });

    props.dataStores.forEach((store, index) => {
      if (!store.podSelector) return;
      const name = store.podSelector['app.kubernetes.io/name'] ?? `${instance}-data-store-${index}`;
      new KubeNetworkPolicy(this, `DataStore${index}`, {
        metadata: { name },
        spec: {
          podSelector: { matchLabels: { ...store.podSelector } },
          policyTypes: ['Ingress', 'Egress'],
          ingress: [
            {
              from: [
                { podSelector: { matchLabels: { ...props.serverPodSelector } } },
                ...(store.clients ?? []),
              ],
              ports: [{ protocol: 'TCP', port: IntOrString.fromNumber(store.port) }],
            },
          ],
          egress: [],
        },
      });
    });
  }
}
