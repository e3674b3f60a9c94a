import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type McpEnvironmentSpec, parseSpec } from '../../constructs/spec';

/** A valid spec with an AWS data tier; override any field. */
export function awsSpec(overrides: Partial<McpEnvironmentSpec> = {}) {
  return parseSpec({
    name: 'prod',
    image: 'ghcr.io/example/server:1.2.3',
    publicUrl: 'https://mcp.example.com',
    dataTier: {
      kind: 'aws',
      region: 'eu-west-1',
      vpcCidrs: ['10.0.0.0/16'],
      network: {
        kind: 'create',
        cidrBlock: '10.0.0.0/16',
        availabilityZones: ['eu-west-1a', 'eu-west-1b'],
        clientSecurityGroupIds: ['sg-0123456789abcdef0'],
      },
    },
    ...overrides,
  });
}

/** A valid spec with everything in the cluster; override any field. */
export function inClusterSpec(overrides: Partial<McpEnvironmentSpec> = {}) {
  return parseSpec({
    name: 'dev',
    image: 'ghcr.io/example/server:1.2.3',
    publicUrl: 'https://mcp.dev.example.com',
    ...overrides,
  });
}

/** A fresh temporary folder, removed by `removeTempDirs` (call it in `afterAll`). */
const created: string[] = [];
export function tempDir(prefix = 'mcpenv-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** Every file under `root` with its bytes, keyed by relative path. */
export function readTree(root: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.set(path.relative(root, full), fs.readFileSync(full));
    }
  };
  walk(root);
  return new Map([...files.entries()].sort(([a], [b]) => a.localeCompare(b)));
}
