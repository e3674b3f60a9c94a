import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadSpecFile } from '../../app/environments';
import { ValidationError } from '../../constructs/errors';
import { removeTempDirs, tempDir } from '../helpers/fixtures';

afterAll(removeTempDirs);

const VALID = `name: team
image: ghcr.io/acme/mcp:1.0.0
publicUrl: https://mcp.team.example
`;

function fileWith(text: string): string {
  const file = path.join(tempDir(), 'team.yaml');
  fs.writeFileSync(file, text);
  return file;
}

describe('environment files', () => {
  test('a minimal file loads with every default applied', () => {
    const spec = loadSpecFile(fileWith(VALID));
    expect(spec).toMatchObject({
      name: 'team',
      replicas: 2,
      namespace: 'mcp-team',
      dataTier: { kind: 'in-cluster' },
    });
  });

  test.each([
    ['an unknown key', `${VALID}replica: 3\n`, 'unknown key "replica": remove it or check its spelling'],
    [
      'an unknown nested key',
      `${VALID}dataTier:\n  kind: in-cluster\n  size: big\n`,
      'dataTier: unknown key "size"',
    ],
    ['a wrong type', `${VALID}replicas: three\n`, 'replicas: must be a number (got "three")'],
    [
      'an alert ratio written as a percentage',
      `${VALID}monitoring:\n  alerts:\n    errorRatioThreshold: 5\n`,
      'monitoring.alerts.errorRatioThreshold: must be less than 1 (write 5% as 0.05) (got 5)',
    ],
    [
      'an alert duration Prometheus cannot read',
      `${VALID}monitoring:\n  alerts:\n    latencyFor: ten minutes\n`,
      'monitoring.alerts.latencyFor: must be a positive Prometheus duration such as "5m" or "1h30m"',
    ],
    [
      'a latency threshold no p95 can exceed',
      `${VALID}monitoring:\n  alerts:\n    latencyP95ThresholdSeconds: 60\n`,
      'monitoring.alerts.latencyP95ThresholdSeconds: must be less than 30, the largest latency bucket',
    ],
    [
      'an alert setting that is not tunable here',
      `${VALID}monitoring:\n  alerts:\n    memoryLimitBytes: 1000\n`,
      'monitoring.alerts: unknown key "memoryLimitBytes"',
    ],
    ['a fractional count', `${VALID}replicas: 1.5\n`, 'replicas: must be a whole number (got 1.5)'],
    [
      'a bad URL',
      VALID.replace('https://mcp.team.example', 'mcp.team.example'),
      'publicUrl: must be an absolute URL',
    ],
    ['a plain http URL', VALID.replace('https://', 'http://'), 'publicUrl: must use https'],
    ['a missing required field', VALID.replace(/^image:.*\n/m, ''), 'image: is required'],
    ['an unpinned image', VALID.replace(':1.0.0', ''), 'image: must be pinned'],
    [
      'a name that is not a DNS label',
      VALID.replace('name: team', 'name: Team_A'),
      'name: must be a DNS label',
    ],
    [
      'an unknown data tier kind',
      `${VALID}dataTier:\n  kind: azure\n`,
      'dataTier.kind: must have `kind` set to "in-cluster" or "aws" (got "azure")',
    ],
    [
      'an AWS tier without zones',
      `${VALID}dataTier:\n  kind: aws\n  region: eu-west-1\n  vpcCidrs: [10.0.0.0/16]\n  network:\n    clientSecurityGroupIds: [sg-0123456789abcdef0]\n`,
      'dataTier.network.availabilityZones: must list at least two zones',
    ],
    [
      'a bad CIDR',
      `${VALID}dataTier:\n  kind: aws\n  region: eu-west-1\n  vpcCidrs: [10.0.0.0]\n  network:\n    availabilityZones: [eu-west-1a, eu-west-1b]\n    clientSecurityGroupIds: [sg-0123456789abcdef0]\n`,
      'dataTier.vpcCidrs[0]: must be an IPv4 CIDR block',
    ],
    [
      'maxReplicas below replicas',
      `${VALID}replicas: 4\nmaxReplicas: 2\n`,
      'maxReplicas: must be at least replicas (4)',
    ],
    [
      'two TLS sources',
      `${VALID}tls:\n  clusterIssuer: letsencrypt\n  acmeEmail: ops@team.example\n`,
      'tls: must set only one of clusterIssuer, acmeEmail',
    ],
    ['a bad email', `${VALID}tls:\n  acmeEmail: ops-at-team\n`, 'tls.acmeEmail: must be an email address'],
    [
      'a gateway-api route without a gateway',
      `${VALID}routing:\n  kind: gateway-api\n`,
      'routing: must set exactly one of `gateway`',
    ],
    [
      'an http OAuth issuer',
      `${VALID}oauth:\n  issuer: http://auth.team.example\n  jwksUrl: https://auth.team.example/jwks\n`,
      'oauth.issuer: must be an https URL',
    ],
    [
      'a bad label value',
      `${VALID}monitoring:\n  labels:\n    release: two words\n`,
      'monitoring.labels.release: must be a label value',
    ],
    [
      'a bad state bucket',
      `${VALID}terraformBackend:\n  kind: s3\n  bucket: My_Bucket\n  region: eu-west-1\n`,
      'terraformBackend.bucket: must be an S3 bucket name',
    ],
    [
      'a list instead of a mapping',
      '- name: team\n',
      '(top level): must be a mapping with the fields name, image, publicUrl',
    ],
  ])('rejects %s, naming the field, the value and the fix', (_case, text, message) => {
    const file = fileWith(text);
    let error: unknown;
    try {
      loadSpecFile(file);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain(`${file} is not a valid environment:`);
    expect((error as Error).message).toContain(message);
  });

  test.each([
    ['an unclosed flow sequence', `${VALID}tags: [a, b\n`, /YAML error at line \d+/],
    ['a tab indentation', `${VALID}dataTier:\n\tkind: aws\n`, /YAML error at line 5/],
    ['a duplicate key', `${VALID}name: other\n`, /YAML error at line 4: Map keys must be unique/],
  ])('rejects YAML with %s, giving the line', (_case, text, message) => {
    expect(() => loadSpecFile(fileWith(text))).toThrow(message);
  });
});
