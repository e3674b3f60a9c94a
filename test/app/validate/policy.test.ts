import { checkPolicies, type Finding, NEEDS_SERVICE_ACCOUNT_TOKEN } from '../../../app/validate';
import {
  cronJob,
  deployment,
  gateway,
  httpRoute,
  ingress,
  type KubeObject,
  pod,
  redirectRoute,
  restrictedContainer,
  secret,
  withValue,
} from '../../fixtures/manifests/objects';

const CONTAINER = 'spec.template.spec.containers[0]';
const POD_SPEC = 'spec.template.spec';

/** The paths of the findings of one rule. */
function pathsOf(rule: string, objects: readonly KubeObject[]): string[] {
  return checkPolicies(objects)
    .filter((finding: Finding) => finding.rule === rule)
    .map((finding) => finding.path);
}

describe('checkPolicies', () => {
  test('accepts a workload hardened as mcpenv hardens its own', () => {
    expect(checkPolicies([deployment(), cronJob(), pod(), secret()])).toEqual([]);
  });

  test('names the object, the field and the fix in a finding', () => {
    const broken = withValue(deployment(), `${CONTAINER}.securityContext.allowPrivilegeEscalation`, true);
    expect(checkPolicies([broken])).toEqual([
      {
        objectRef: 'apps/v1 Deployment mcp-prod/mcp-server',
        path: `${CONTAINER}.securityContext.allowPrivilegeEscalation`,
        message: 'set securityContext.allowPrivilegeEscalation: false',
        rule: 'restricted-pod-security',
      },
    ]);
  });

  test('ignores values that are not objects and kinds without pods', () => {
    expect(
      checkPolicies([null, 'text', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }]),
    ).toEqual([]);
  });

  describe('restricted-pod-security', () => {
    test.each([
      [
        'privilege escalation left allowed',
        `${CONTAINER}.securityContext.allowPrivilegeEscalation`,
        undefined,
        `${CONTAINER}.securityContext.allowPrivilegeEscalation`,
      ],
      [
        'a privileged container',
        `${CONTAINER}.securityContext.privileged`,
        true,
        `${CONTAINER}.securityContext.privileged`,
      ],
      [
        'capabilities not dropped',
        `${CONTAINER}.securityContext.capabilities`,
        {},
        `${CONTAINER}.securityContext.capabilities.drop`,
      ],
      [
        'an added capability other than NET_BIND_SERVICE',
        `${CONTAINER}.securityContext.capabilities.add`,
        ['NET_BIND_SERVICE', 'SYS_ADMIN'],
        `${CONTAINER}.securityContext.capabilities.add[1]`,
      ],
      [
        'an Unconfined seccomp profile on a container',
        `${CONTAINER}.securityContext.seccompProfile.type`,
        'Unconfined',
        `${CONTAINER}.securityContext.seccompProfile.type`,
      ],
      [
        'an Unconfined seccomp profile on the pod',
        `${POD_SPEC}.securityContext.seccompProfile.type`,
        'Unconfined',
        `${POD_SPEC}.securityContext.seccompProfile.type`,
      ],
      [
        'a container that runs as root',
        `${CONTAINER}.securityContext.runAsUser`,
        0,
        `${CONTAINER}.securityContext.runAsUser`,
      ],
      [
        'a pod that runs as root',
        `${POD_SPEC}.securityContext.runAsUser`,
        0,
        `${POD_SPEC}.securityContext.runAsUser`,
      ],
      [
        'a container that allows root',
        `${CONTAINER}.securityContext.runAsNonRoot`,
        false,
        `${CONTAINER}.securityContext.runAsNonRoot`,
      ],
      ['the host network', `${POD_SPEC}.hostNetwork`, true, `${POD_SPEC}.hostNetwork`],
      ['the host PID namespace', `${POD_SPEC}.hostPID`, true, `${POD_SPEC}.hostPID`],
      ['the host IPC namespace', `${POD_SPEC}.hostIPC`, true, `${POD_SPEC}.hostIPC`],
      [
        'a hostPath volume',
        `${POD_SPEC}.volumes[0]`,
        { name: 'host', hostPath: { path: '/var/run' } },
        `${POD_SPEC}.volumes[0].hostPath`,
      ],
      [
        'an nfs volume',
        `${POD_SPEC}.volumes[0]`,
        { name: 'share', nfs: { server: 'nfs', path: '/' } },
        `${POD_SPEC}.volumes[0].nfs`,
      ],
      ['a host port', `${CONTAINER}.ports[0].hostPort`, 3000, `${CONTAINER}.ports[0].hostPort`],
      [
        'an unsafe sysctl',
        `${POD_SPEC}.securityContext.sysctls`,
        [{ name: 'kernel.msgmax', value: '65536' }],
        `${POD_SPEC}.securityContext.sysctls[0].name`,
      ],
      [
        'a custom SELinux user',
        `${CONTAINER}.securityContext.seLinuxOptions`,
        { user: 'system_u' },
        `${CONTAINER}.securityContext.seLinuxOptions.user`,
      ],
      [
        'a proc mount other than Default',
        `${CONTAINER}.securityContext.procMount`,
        'Unmasked',
        `${CONTAINER}.securityContext.procMount`,
      ],
      [
        'an unconfined AppArmor profile',
        `${POD_SPEC}.securityContext.appArmorProfile`,
        { type: 'Unconfined' },
        `${POD_SPEC}.securityContext.appArmorProfile.type`,
      ],
    ])('rejects %s', (_case, field, value, expected) => {
      expect(pathsOf('restricted-pod-security', [withValue(deployment(), field, value)])).toEqual([expected]);
    });

    test('rejects runAsNonRoot and seccomp set nowhere, once at the pod', () => {
      let broken = withValue(deployment(), `${POD_SPEC}.securityContext`, {});
      broken = withValue(broken, `${CONTAINER}.securityContext.runAsNonRoot`, undefined);
      broken = withValue(broken, `${CONTAINER}.securityContext.seccompProfile`, undefined);
      expect(checkPolicies([broken])).toEqual([
        expect.objectContaining({
          path: `${POD_SPEC}.securityContext.runAsNonRoot`,
          message: 'set securityContext.runAsNonRoot: true on the pod (or on every container)',
        }),
        expect.objectContaining({
          path: `${POD_SPEC}.securityContext.seccompProfile.type`,
          message:
            'set securityContext.seccompProfile.type: RuntimeDefault on the pod (or on every container)',
        }),
      ]);
    });

    test('accepts runAsNonRoot and seccomp set on every container instead of the pod', () => {
      const containerLevel = withValue(deployment(), `${POD_SPEC}.securityContext`, { runAsUser: 10001 });
      expect(checkPolicies([containerLevel])).toEqual([]);
    });

    test('rejects the one container that does not set what the pod leaves unset', () => {
      let broken = withValue(deployment(), `${POD_SPEC}.securityContext`, {});
      broken = withValue(broken, `${POD_SPEC}.containers[1]`, restrictedContainer('sidecar'));
      broken = withValue(broken, `${POD_SPEC}.containers[1].securityContext.runAsNonRoot`, undefined);
      expect(pathsOf('restricted-pod-security', [broken])).toEqual([
        `${POD_SPEC}.containers[1].securityContext.runAsNonRoot`,
      ]);
    });

    test('accepts NET_BIND_SERVICE as the only added capability', () => {
      const binding = withValue(deployment(), `${CONTAINER}.securityContext.capabilities.add`, [
        'NET_BIND_SERVICE',
      ]);
      expect(checkPolicies([binding])).toEqual([]);
    });

    test('rejects an init container that allows privilege escalation', () => {
      const init = withValue(
        restrictedContainer('migrate'),
        'securityContext.allowPrivilegeEscalation',
        true,
      );
      const withInit = withValue(deployment(), `${POD_SPEC}.initContainers`, [init]);
      expect(pathsOf('restricted-pod-security', [withInit])).toEqual([
        `${POD_SPEC}.initContainers[0].securityContext.allowPrivilegeEscalation`,
      ]);
    });

    test('rejects host namespaces in the pod of a CronJob and in a bare Pod', () => {
      const job = withValue(cronJob(), 'spec.jobTemplate.spec.template.spec.hostNetwork', true);
      const bare = withValue(pod(), 'spec.hostPID', true);
      expect(pathsOf('restricted-pod-security', [job, bare])).toEqual([
        'spec.jobTemplate.spec.template.spec.hostNetwork',
        'spec.hostPID',
      ]);
    });
  });

  describe('read-only-root-filesystem', () => {
    test('accepts a container with a read-only root filesystem', () => {
      expect(pathsOf('read-only-root-filesystem', [deployment()])).toEqual([]);
    });

    test('rejects a container with a writable root filesystem', () => {
      const writable = withValue(deployment(), `${CONTAINER}.securityContext.readOnlyRootFilesystem`, false);
      expect(checkPolicies([writable])).toEqual([
        expect.objectContaining({
          rule: 'read-only-root-filesystem',
          path: `${CONTAINER}.securityContext.readOnlyRootFilesystem`,
          message: expect.stringMatching(/^set securityContext.readOnlyRootFilesystem: true/),
        }),
      ]);
    });
  });

  describe('resources', () => {
    test('accepts a container with CPU and memory requests and a memory limit, and no CPU limit', () => {
      const noCpuLimit = withValue(deployment(), `${CONTAINER}.resources.limits.cpu`, undefined);
      expect(pathsOf('resources', [noCpuLimit])).toEqual([]);
    });

    test('rejects a container without a memory limit', () => {
      const unbounded = withValue(deployment(), `${CONTAINER}.resources.limits`, undefined);
      expect(checkPolicies([unbounded])).toEqual([
        expect.objectContaining({
          rule: 'resources',
          path: `${CONTAINER}.resources.limits.memory`,
          message: 'set resources.limits.memory',
        }),
      ]);
    });

    test('rejects a container without requests', () => {
      const unrequested = withValue(deployment(), `${CONTAINER}.resources`, undefined);
      expect(pathsOf('resources', [unrequested])).toEqual([
        `${CONTAINER}.resources.requests.cpu`,
        `${CONTAINER}.resources.requests.memory`,
        `${CONTAINER}.resources.limits.memory`,
      ]);
    });
  });

  describe('no-service-account-token', () => {
    test('rejects a pod that would mount a service account token', () => {
      const mounted = withValue(deployment(), `${POD_SPEC}.automountServiceAccountToken`, undefined);
      expect(checkPolicies([mounted])).toEqual([
        expect.objectContaining({
          rule: 'no-service-account-token',
          path: `${POD_SPEC}.automountServiceAccountToken`,
          message: expect.stringContaining('set automountServiceAccountToken: false'),
        }),
      ]);
    });

    test('accepts a token for a pod annotated as needing one', () => {
      let annotated = withValue(deployment(), `${POD_SPEC}.automountServiceAccountToken`, true);
      annotated = withValue(annotated, 'spec.template.metadata.annotations', {
        [NEEDS_SERVICE_ACCOUNT_TOKEN]: 'true',
      });
      expect(checkPolicies([annotated])).toEqual([]);
    });
  });

  describe('no-literal-secrets', () => {
    test('accepts a Secret without values and variables that take secrets by reference', () => {
      const referenced = withValue(deployment(), `${CONTAINER}.env[1]`, {
        name: 'DATABASE_PASSWORD',
        valueFrom: { secretKeyRef: { name: 'database', key: 'password' } },
      });
      const plain = withValue(referenced, `${CONTAINER}.env[2]`, { name: 'TOKENIZER', value: 'cl100k' });
      expect(pathsOf('no-literal-secrets', [secret(), plain])).toEqual([]);
    });

    test.each(['data', 'stringData'])('rejects a Secret that carries %s', (field) => {
      const literal = withValue(secret(), field, { password: 'hunter2' });
      expect(checkPolicies([literal])).toEqual([
        expect.objectContaining({
          objectRef: 'v1 Secret mcp-prod/database',
          rule: 'no-literal-secrets',
          path: field,
          message: expect.stringContaining('reference it by name'),
        }),
      ]);
    });

    test.each(['DATABASE_PASSWORD', 'GITHUB_TOKEN', 'CLIENT_SECRET', 'OPENAI_API_KEY', 'SSH_PRIVATE_KEY'])(
      'rejects %s with a literal value',
      (name) => {
        const literal = withValue(deployment(), `${CONTAINER}.env[1]`, { name, value: 'hunter2' });
        expect(checkPolicies([literal])).toEqual([
          expect.objectContaining({
            rule: 'no-literal-secrets',
            path: `${CONTAINER}.env[1].value`,
            message: expect.stringContaining('use valueFrom.secretKeyRef'),
          }),
        ]);
      },
    );

    test('accepts a *_FILE or *_PATH variable naming a mounted file, but not a secret under that name', () => {
      const file = withValue(deployment(), `${CONTAINER}.env[1]`, {
        name: 'REDIS_PASSWORD_FILE',
        value: '/run/secrets/redis/password',
      });
      const notAPath = withValue(file, `${CONTAINER}.env[2]`, { name: 'API_TOKEN_PATH', value: 'hunter2' });
      expect(pathsOf('no-literal-secrets', [file])).toEqual([]);
      expect(pathsOf('no-literal-secrets', [notAPath])).toEqual([`${CONTAINER}.env[2].value`]);
    });

    test('rejects a URL with a password in it, whatever the variable is called', () => {
      const url = withValue(deployment(), `${CONTAINER}.env[1]`, {
        name: 'DATABASE_URL',
        value: 'postgres://mcp:hunter2@db:5432/mcp',
      });
      const noPassword = withValue(url, `${CONTAINER}.env[2]`, {
        name: 'CACHE',
        value: 'redis://cache:6379',
      });
      expect(pathsOf('no-literal-secrets', [noPassword])).toEqual([`${CONTAINER}.env[1].value`]);
    });
  });

  describe('tls-on-every-route', () => {
    test('accepts an Ingress whose TLS covers every host, wildcards included', () => {
      expect(checkPolicies([ingress()])).toEqual([]);
    });

    test('rejects an Ingress without TLS', () => {
      expect(pathsOf('tls-on-every-route', [withValue(ingress(), 'spec.tls', undefined)])).toEqual([
        'spec.tls',
      ]);
    });

    test('rejects an Ingress host that no TLS entry covers', () => {
      const uncovered = withValue(ingress(), 'spec.rules[1].host', 'a.b.tools.example.com');
      expect(checkPolicies([uncovered])).toEqual([
        expect.objectContaining({
          rule: 'tls-on-every-route',
          path: 'spec.rules[1].host',
          message: expect.stringContaining('"a.b.tools.example.com" is in no spec.tls[].hosts'),
        }),
      ]);
    });

    test('rejects an Ingress rule without a host', () => {
      const anyHost = withValue(ingress(), 'spec.rules[0].host', undefined);
      expect(pathsOf('tls-on-every-route', [anyHost])).toEqual(['spec.rules[0].host']);
    });

    test('accepts a route on an HTTPS listener and a redirect-only route on the HTTP listener', () => {
      expect(checkPolicies([gateway(), httpRoute(), redirectRoute()])).toEqual([]);
    });

    test('rejects an HTTPS listener without certificates', () => {
      const noCertificate = withValue(gateway(), 'spec.listeners[0].tls.certificateRefs', []);
      expect(checkPolicies([noCertificate])).toEqual([
        expect.objectContaining({
          objectRef: 'gateway.networking.k8s.io/v1 Gateway mcp-prod/public',
          path: 'spec.listeners[0].tls.certificateRefs',
        }),
      ]);
    });

    test('rejects a route that serves its backends on the plain-HTTP listener', () => {
      const plain = withValue(httpRoute(), 'spec.parentRefs[0].sectionName', 'http');
      expect(checkPolicies([gateway(), plain])).toEqual([
        expect.objectContaining({
          objectRef: 'gateway.networking.k8s.io/v1 HTTPRoute mcp-prod/mcp-server',
          rule: 'tls-on-every-route',
          path: 'spec.parentRefs[0].sectionName',
          message: expect.stringContaining(
            'attaches to plain-HTTP listener "http" of Gateway mcp-prod/public',
          ),
        }),
      ]);
    });

    test('rejects a route without sectionName on a Gateway that also listens on plain HTTP', () => {
      const everywhere = withValue(httpRoute(), 'spec.parentRefs[0].sectionName', undefined);
      expect(pathsOf('tls-on-every-route', [gateway(), everywhere])).toEqual(['spec.parentRefs[0]']);
    });

    test('accepts a route without sectionName on a Gateway that listens only on HTTPS', () => {
      const httpsOnly = withValue(gateway(), 'spec.listeners', [
        (gateway().spec as { listeners: KubeObject[] }).listeners[0] as KubeObject,
      ]);
      const route = withValue(httpRoute(), 'spec.parentRefs[0].sectionName', undefined);
      expect(checkPolicies([httpsOnly, route])).toEqual([]);
    });

    test('rejects a redirect to http on the plain-HTTP listener', () => {
      const toHttp = withValue(redirectRoute(), 'spec.rules[0].filters[0].requestRedirect.scheme', 'http');
      expect(pathsOf('tls-on-every-route', [gateway(), toHttp])).toEqual(['spec.parentRefs[0].sectionName']);
    });

    test('rejects a sectionName the Gateway does not have', () => {
      const missing = withValue(httpRoute(), 'spec.parentRefs[0].sectionName', 'htps');
      expect(checkPolicies([gateway(), missing])).toEqual([
        expect.objectContaining({
          path: 'spec.parentRefs[0].sectionName',
          message: expect.stringContaining('Gateway mcp-prod/public has no listener "htps"'),
        }),
      ]);
    });

    test('rejects a sectionName that names a listener of another protocol', () => {
      const tlsGateway = withValue(gateway(), 'spec.listeners[2]', {
        name: 'tls',
        protocol: 'TLS',
        port: 8443,
        tls: { mode: 'Passthrough' },
      });
      const onTls = withValue(httpRoute(), 'spec.parentRefs[0].sectionName', 'tls');
      expect(checkPolicies([tlsGateway, onTls])).toEqual([
        expect.objectContaining({
          path: 'spec.parentRefs[0].sectionName',
          message: 'listener "tls" of Gateway mcp-prod/public speaks TLS, not HTTPS; name an HTTPS listener',
        }),
      ]);
    });

    test('rejects a route to a Gateway outside the set unless it names the listener', () => {
      const elsewhere = withValue(httpRoute(), 'spec.parentRefs[0]', {
        name: 'shared',
        namespace: 'gateways',
      });
      expect(pathsOf('tls-on-every-route', [gateway(), elsewhere])).toEqual([
        'spec.parentRefs[0].sectionName',
      ]);
      const named = withValue(elsewhere, 'spec.parentRefs[0].sectionName', 'https');
      expect(checkPolicies([named])).toEqual([]);
    });

    test('leaves routes whose parent is a Service (a mesh) alone', () => {
      const mesh = withValue(httpRoute(), 'spec.parentRefs[0]', {
        group: '',
        kind: 'Service',
        name: 'mcp-server',
      });
      expect(checkPolicies([mesh])).toEqual([]);
    });
  });
});
