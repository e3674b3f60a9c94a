import * as path from 'node:path';
import { loadEnvironment } from '../../app/environments';
import { synthEnvironment } from '../../app/synth';
import { readManifestFiles, validateManifests } from '../../app/validate';
import { readTree, removeTempDirs, tempDir } from '../helpers/fixtures';

afterAll(removeTempDirs);

describe.each(['dev', 'staging', 'prod'])('the %s manifests', (environment) => {
  const first = path.join(tempDir(), environment);
  const second = path.join(tempDir(), environment);
  beforeAll(() => {
    synthEnvironment(loadEnvironment(environment), { outDir: first });
    synthEnvironment(loadEnvironment(environment), { outDir: second });
  });

  test('are byte-identical across runs', () => {
    expect(readTree(second)).toEqual(readTree(first));
  });

  test('validate against the Kubernetes and CRD schemas and pass every policy check', () => {
    const { manifests, findings: readFindings } = readManifestFiles(path.join(first, 'kubernetes'));
    expect(readFindings).toEqual([]);
    const { findings, objects } = validateManifests(manifests.map((manifest) => manifest.object));
    expect(objects).toBeGreaterThan(10);
    expect(findings).toEqual([]);
  });
});
