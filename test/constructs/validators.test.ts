import { ValidationError } from '../../constructs/errors';
import {
  awsId,
  availabilityZone,
  check,
  dnsLabel,
  fraction,
  httpsOrigin,
  ipv4Cidr,
  parseCidr,
  parseImageReference,
  pinnedImage,
  prometheusDuration,
  quantity,
  requireProps,
  secretKey,
  type Validator,
  wholeNumber,
} from '../../constructs/validators';

describe('validators', () => {
  test.each<[string, Validator, unknown[]]>([
    [
      'pinnedImage',
      pinnedImage,
      [
        'ghcr.io/org/server:1.2.3',
        `registry.local:5000/a/b@sha256:${'a'.repeat(64)}`,
        `a:latest@sha256:${'b'.repeat(64)}`,
      ],
    ],
    [
      'httpsOrigin',
      httpsOrigin,
      ['https://mcp.example.com', 'https://MCP.Example.com/', 'https://mcp.example.com:443'],
    ],
    ['dnsLabel', dnsLabel(), ['mcp-prod', 'a']],
    ['ipv4Cidr', ipv4Cidr, ['10.0.0.0/16', '10.0.0.1/32']],
    ['quantity', quantity, ['250m', '1.5', '10Gi']],
    ['prometheusDuration', prometheusDuration, ['5m', '1h30m']],
    ['fraction', fraction, [0.05, 0.999]],
    ['availabilityZone', availabilityZone, ['eu-west-1a', 'us-gov-west-1b']],
    ['awsId(vpc)', awsId('vpc'), ['vpc-0a1b2c3d', 'vpc-0a1b2c3d4e5f67890']],
    ['wholeNumber(1, 6)', wholeNumber(1, 6), [1, 6]],
    ['secretKey', secretKey, ['password', 'ca.pem', 'AUTH_token-2', '.hidden']],
  ])('%s accepts good values', (_name, validator, values) => {
    expect(values.map(validator)).toEqual(values.map(() => undefined));
  });

  test.each<[string, Validator, unknown, RegExp]>([
    ['pinnedImage', pinnedImage, 'ghcr.io/org/server:latest', /^not use the mutable tag "latest"$/],
    ['pinnedImage', pinnedImage, 'ghcr.io/org/server', /^be pinned by a tag or digest$/],
    ['pinnedImage', pinnedImage, 42, /^be a container image reference without spaces/],
    ['httpsOrigin', httpsOrigin, 'https://10.0.0.1', /^name a DNS host, not an IP address$/],
    ['httpsOrigin', httpsOrigin, 'https://[::1]', /^name a DNS host, not an IP address$/],
    ['httpsOrigin', httpsOrigin, 'https://mcp.example.com:8443', /^not name a port$/],
    ['httpsOrigin', httpsOrigin, 'https://mcp.example.com/mcp', /^be an origin without path/],
    ['httpsOrigin', httpsOrigin, 'http://mcp.example.com', /^use https$/],
    ['httpsOrigin', httpsOrigin, 'https://localhost', /^have a fully qualified DNS host name/],
    ['dnsLabel', dnsLabel(40), 'a'.repeat(41), /^be a DNS label of at most 40 characters$/],
    ['dnsLabel', dnsLabel(), '', /^be a DNS label/],
    ['ipv4Cidr', ipv4Cidr, '10.0.0.0/33', /^be an IPv4 CIDR block/],
    ['ipv4Cidr', ipv4Cidr, '256.0.0.0/8', /^be an IPv4 CIDR block/],
    ['quantity', quantity, '', /^be a Kubernetes quantity/],
    ['prometheusDuration', prometheusDuration, '0m', /^be a positive Prometheus duration/],
    ['fraction', fraction, 0, /^be a ratio greater than 0 and less than 1$/],
    ['availabilityZone', availabilityZone, 'euw1-az2', /^be an availability zone/],
    ['awsId(sg)', awsId('sg'), 'sg-123', /^be an id such as "sg-/],
    ['wholeNumber(1, 6)', wholeNumber(1, 6), 0, /^be a whole number from 1 to 6$/],
    ['wholeNumber(1)', wholeNumber(1), 1.5, /^be a whole number of at least 1$/],
    ['secretKey', secretKey, 'pass word', /^be a Secret key/],
    ['secretKey', secretKey, 'a/b', /^be a Secret key/],
    ['secretKey', secretKey, '..', /^be a Secret key/],
    ['secretKey', secretKey, '', /^be a Secret key/],
  ])('%s rejects %j', (_name, validator, value, rule) => {
    expect(validator(value)?.rule).toMatch(rule);
  });

  test('a problem carries its fix apart from its rule, so a file and a construct word it alike', () => {
    expect(fraction(5)).toEqual({
      rule: 'be a ratio greater than 0 and less than 1',
      fix: 'write 5% as 0.05',
    });
  });
});

describe('check', () => {
  test('rejects a bad value with a ValidationError naming the construct, the prop, the value and the fix', () => {
    expect(() => check('McpAlertRules', 'errorRatioThreshold', 5, fraction)).toThrow(
      'McpAlertRules: `errorRatioThreshold` must be a ratio greater than 0 and less than 1 (got 5); write 5% as 0.05',
    );
  });

  test('keeps which construct and which prop the error is about', () => {
    let error: unknown;
    try {
      check('Network.create', 'cidrBlock', '10.0.0.0', ipv4Cidr);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problem).toEqual({
      construct: 'Network.create',
      prop: 'cidrBlock',
      detail: 'must be an IPv4 CIDR block such as "10.0.0.0/16" (got "10.0.0.0")',
    });
  });
});

describe('requireProps', () => {
  const required = { image: 'pass a pinned image', publicUrl: 'pass the origin' };

  test('fails with a ValidationError naming the first missing prop and how to fix it', () => {
    expect(() => requireProps('McpEnvironment', { image: 'a:1' }, required)).toThrow(
      new ValidationError('McpEnvironment: `publicUrl` is required: pass the origin'),
    );
  });

  test('fails for a null prop as for a missing one', () => {
    expect(() => requireProps('McpEnvironment', { image: null, publicUrl: 'x' }, required)).toThrow(
      /`image` is required/,
    );
  });

  test('fails when there are no props at all', () => {
    expect(() => requireProps('McpEnvironment', undefined, required)).toThrow(
      'McpEnvironment: `props` is required: pass an object with image, publicUrl',
    );
  });

  test('accepts falsy values that are set: 0, false and empty strings are for the value rules', () => {
    expect(() => requireProps('X', { a: 0, b: false, c: '' }, { a: '', b: '', c: '' })).not.toThrow();
  });
});

describe('parseCidr and parseImageReference', () => {
  test('parseCidr says whether host bits are set', () => {
    expect(parseCidr('10.0.0.0/16')).toEqual({ address: 167772160, prefixLength: 16, hostBits: false });
    expect(parseCidr('10.0.0.1/16')?.hostBits).toBe(true);
    expect(parseCidr('10.0.0.0')).toBeUndefined();
  });

  test('parseImageReference splits repository, tag and digest', () => {
    expect(parseImageReference('localhost:5000/a/b:1.0')).toEqual({
      repository: 'localhost:5000/a/b',
      tag: '1.0',
      digest: undefined,
    });
    expect(parseImageReference('a/b')).toEqual({ repository: 'a/b', tag: undefined, digest: undefined });
  });
});
