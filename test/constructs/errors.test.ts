import { invalidProp, reportedAs, ValidationError } from '../../constructs/errors';

const ORIGINS = {
  McpServerWorkload: { props: { cpuRequest: 'resources.cpuRequest', replicas: 'replicas' } },
  McpAlertRules: { props: { labels: 'monitoringLabels' } },
  'Routing.ingress': { prefix: 'routing.' },
};

function raised(build: () => unknown): ValidationError {
  try {
    build();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('nothing was thrown');
}

describe('reportedAs', () => {
  test('reports a child prop under the name the owner was given it by', () => {
    const error = raised(() =>
      reportedAs('McpEnvironment', ORIGINS, () => {
        throw invalidProp('McpServerWorkload', 'cpuRequest', 'be a Kubernetes quantity', 'lots');
      }),
    );
    expect(error.message).toBe(
      'McpEnvironment: `resources.cpuRequest` must be a Kubernetes quantity (got "lots")',
    );
    expect(error.problem).toEqual({
      construct: 'McpEnvironment',
      prop: 'resources.cpuRequest',
      detail: 'must be a Kubernetes quantity (got "lots")',
    });
  });

  test('keeps the rest of a nested path, and prefixes props of a prefixed origin', () => {
    const nested = raised(() =>
      reportedAs('McpEnvironment', ORIGINS, () => {
        throw invalidProp('McpAlertRules', 'labels.app.kubernetes.io/name', 'not be set', 'x');
      }),
    );
    expect(nested.problem?.prop).toBe('monitoringLabels.app.kubernetes.io/name');
    const prefixed = raised(() =>
      reportedAs('EnvironmentChart', ORIGINS, () => {
        throw invalidProp('Routing.ingress', 'className', 'be the name of an IngressClass', 'Nginx');
      }),
    );
    expect(prefixed.problem?.prop).toBe('routing.className');
  });

  test.each([
    ['a construct it did not build', invalidProp('McpRouting', 'paths', 'name at least one path prefix', [])],
    ['a prop it did not give', invalidProp('McpServerWorkload', 'name', 'be a DNS label', 'X')],
    ['an error that is not a ValidationError', new TypeError('a bug')],
  ])('passes an error about %s through unchanged', (_case, error) => {
    expect(() =>
      reportedAs('McpEnvironment', ORIGINS, () => {
        throw error;
      }),
    ).toThrow(error);
  });
});
