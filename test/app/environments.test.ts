import * as fs from 'node:fs';
import * as path from 'node:path';
import { listEnvironments, loadEnvironment, loadSpecFile } from '../../app/environments';
import { ValidationError } from '../../constructs/errors';
import { removeTempDirs, tempDir } from '../helpers/fixtures';

afterAll(removeTempDirs);

describe('example environments', () => {
  test('dev and prod ship with mcpenv', () => {
    expect(listEnvironments()).toEqual(['dev', 'prod', 'staging']);
  });

  test('dev runs everything in the cluster and prod uses an AWS data tier', () => {
    expect(loadEnvironment('dev').dataTier?.kind).toBe('in-cluster');
    expect(loadEnvironment('prod').dataTier?.kind).toBe('aws');
  });
});

describe('loadEnvironment', () => {
  test('fails for an unknown name, listing the known environments', () => {
    expect(() => loadEnvironment('nosuch')).toThrow(
      /unknown environment "nosuch": known environments are .*dev.*prod/,
    );
  });

  test('rejects a name that tries to leave the environments folder', () => {
    expect(() => loadEnvironment('../package')).toThrow(ValidationError);
  });

  test('rejects a file whose name field does not match the file name', () => {
    const dir = tempDir();
    fs.writeFileSync(
      path.join(dir, 'staging.yaml'),
      'name: prod\nimage: ghcr.io/a/b:1.0.0\npublicUrl: https://mcp.example.com\n',
    );
    expect(() => loadEnvironment('staging', dir)).toThrow(
      /name: must match the file name "staging" \(got "prod"\)/,
    );
  });
});

describe('loadSpecFile', () => {
  test('reports a YAML syntax error with its line number', () => {
    const file = path.join(tempDir(), 'broken.yaml');
    fs.writeFileSync(file, 'name: dev\nimage: [unclosed\npublicUrl: https://mcp.example.com\n');
    expect(() => loadSpecFile(file)).toThrow(
      /broken\.yaml is not a valid environment:\n {2}- YAML error at line \d+/,
    );
  });

  test('rejects duplicate keys', () => {
    const file = path.join(tempDir(), 'dup.yaml');
    fs.writeFileSync(file, 'name: dev\nname: prod\n');
    expect(() => loadSpecFile(file)).toThrow(/YAML error at line 2: Map keys must be unique/);
  });

  test('fails clearly for a missing file', () => {
    expect(() => loadSpecFile('/nonexistent/env.yaml')).toThrow(
      /cannot read environment file \/nonexistent\/env\.yaml/,
    );
  });
});
