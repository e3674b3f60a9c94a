import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadEnvironment } from '../../../app/environments';
import { environmentWarnings } from '../../../app/validate/environment';
import { parseSpec } from '../../../constructs/spec';
import { runCliInProcess } from '../../helpers/cli';
import { removeTempDirs, tempDir } from '../../helpers/fixtures';

// The first in-process command of a file loads its libraries: seconds on a busy machine.
jest.setTimeout(60_000);

afterAll(removeTempDirs);

const VALID = `name: team
image: ghcr.io/acme/mcp:1.0.0
publicUrl: https://mcp.team.example/
`;

function fileWith(text: string): string {
  const file = path.join(tempDir(), 'team.yaml');
  fs.writeFileSync(file, text);
  return file;
}

describe('environmentWarnings', () => {
  test('warns about a probe without an API key, which the reference server would answer with 401', () => {
    const spec = parseSpec({
      name: 'team',
      image: 'ghcr.io/acme/mcp:1.0.0',
      publicUrl: 'https://mcp.team.example/',
      probe: {},
    });
    expect(environmentWarnings(spec)).toEqual([
      {
        hint: 'probe-api-key',
        path: 'probe.apiKeySecret',
        message: expect.stringMatching(
          /^the probe calls https:\/\/mcp\.team\.example\/mcp without an API key, which the reference server answers with 401, so McpProbeFailing will fire; .* name that Secret in probe\.apiKeySecret$/,
        ),
      },
    ]);
  });

  test('has nothing to say about a probe with a key, no probe, or the shipped environments', () => {
    const base = { name: 'team', image: 'ghcr.io/acme/mcp:1.0.0', publicUrl: 'https://mcp.team.example' };
    expect(environmentWarnings(parseSpec({ ...base, probe: { apiKeySecret: 'team-probe' } }))).toEqual([]);
    expect(environmentWarnings(parseSpec(base))).toEqual([]);
    for (const name of ['dev', 'staging', 'prod'])
      expect(environmentWarnings(loadEnvironment(name))).toEqual([]);
  });
});

describe('mcpenv validate --config with tracing and a probe', () => {
  test('passes a keyless probe with exit 0, warning about the missing key on stderr and in the JSON', async () => {
    const file = fileWith(`${VALID}probe: {}\n`);
    const text = await runCliInProcess(['validate', '--config', file]);
    expect(text.status).toBe(0);
    expect(text.stderr).toContain(
      `warning: ${file} probe.apiKeySecret: the probe calls https://mcp.team.example/mcp`,
    );
    expect(text.stderr).toContain('[probe-api-key]');
    const json = await runCliInProcess(['validate', '--config', file, '--json']);
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: true,
      warnings: [{ hint: 'probe-api-key', path: 'probe.apiKeySecret' }],
    });
  });

  test.each([
    [
      'a probe interval under 5 seconds',
      `${VALID}probe:\n  apiKeySecret: team-probe\n  intervalSeconds: 1\n`,
      'probe.intervalSeconds: must be a whole number from 5 to 3600 (got 1)',
    ],
    [
      'a collector namespace other than the one its host names',
      `${VALID}tracing:\n  otlpEndpoint: http://otel.observability.svc:4318\n  collectorNamespace: monitoring\n`,
      `tracing.collectorNamespace: must be the namespace the endpoint's host names (observability) (got "monitoring")`,
    ],
  ])('fails with exit 2 for %s, naming the file and the YAML path', async (_case, text, message) => {
    const file = fileWith(text);
    const result = await runCliInProcess(['validate', '--config', file]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`error: ${file} is not a valid environment:\n  - ${message}`);
  });
});
