import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { requireProgram, run } from './programs';

const AWS_PROVIDER = 'registry.terraform.io/hashicorp/aws';

/** Where these machines keep the preinstalled provider mirror; `MCPENV_TF_PROVIDER_MIRROR` wins. */
const MIRROR_CANDIDATES = [
  process.env.MCPENV_TF_PROVIDER_MIRROR,
  '/opt/tf-plugins',
  path.join(os.homedir(), '.terraform.d', 'plugins'),
  '/usr/share/terraform/plugins',
].filter((dir): dir is string => Boolean(dir));

function findMirror(version: string): string {
  for (const dir of MIRROR_CANDIDATES) {
    if (fs.existsSync(path.join(dir, AWS_PROVIDER, version))) return dir;
  }
  throw new Error(
    `no filesystem mirror of ${AWS_PROVIDER} ${version} found in ${MIRROR_CANDIDATES.join(', ')}: ` +
      'set MCPENV_TF_PROVIDER_MIRROR to a folder laid out as <host>/<namespace>/<type>/<version>/<os_arch>/',
  );
}

/**
 * A CLI config installing hashicorp/aws from the local mirror and nothing from the network:
 * direct installation is excluded for every provider, so tests never leave this machine.
 */
export function offlineCliConfig(providerVersion = '5.100.0'): string {
  const mirror = findMirror(providerVersion);
  return [
    'provider_installation {',
    `  filesystem_mirror {\n    path    = ${JSON.stringify(mirror)}\n    include = ["${AWS_PROVIDER}"]\n  }`,
    '  direct {\n    exclude = ["*/*/*"]\n  }',
    '}',
    '',
  ].join('\n');
}

/**
 * A terraform working copy of one synthesized stack, initialised offline against the provider
 * mirror. Credentials and `skip_*` settings go into an override file in the copy only.
 */
export class OfflineTerraform {
  readonly binary = requireProgram(
    'terraform',
    'Terraform 1.11 (https://developer.hashicorp.com/terraform/install)',
  );
  readonly dir: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    stackDir: string,
    workDir: string,
    providerVersion = '5.100.0',
    extraEnv: Readonly<Record<string, string>> = {},
  ) {
    this.dir = path.join(workDir, 'stack');
    fs.cpSync(stackDir, this.dir, { recursive: true });
    const cliConfig = path.join(workDir, 'terraform.rc');
    fs.writeFileSync(cliConfig, offlineCliConfig(providerVersion));
    fs.writeFileSync(
      path.join(this.dir, 'test_override.tf.json'),
      JSON.stringify(
        {
          provider: {
            aws: {
              access_key: 'mock-access-key',
              secret_key: 'mock-secret-key',
              skip_credentials_validation: true,
              skip_metadata_api_check: true,
              skip_region_validation: true,
              skip_requesting_account_id: true,
            },
          },
          terraform: { backend: { local: { path: path.join(workDir, 'test.tfstate') } } },
        },
        null,
        2,
      ),
    );
    this.env = {
      TF_CLI_CONFIG_FILE: cliConfig,
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      CHECKPOINT_DISABLE: '1',
      TF_DATA_DIR: path.join(workDir, '.terraform'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      ...extraEnv,
    };
  }

  run(...args: string[]) {
    return run(this.binary, [...args, '-no-color'], { cwd: this.dir, env: this.env, timeoutMs: 300_000 });
  }

  /** `terraform show -json` of a saved plan, parsed. */
  showPlan(planFile: string): TerraformPlan {
    return JSON.parse(run(this.binary, ['show', '-json', planFile], { cwd: this.dir, env: this.env }).stdout);
  }
}

export interface PlannedResource {
  readonly address: string;
  readonly type: string;
  readonly values: Record<string, unknown>;
}

export interface TerraformPlan {
  readonly planned_values: { readonly root_module: { readonly resources?: PlannedResource[] } };
  readonly resource_changes: { readonly address: string; readonly change: { readonly actions: string[] } }[];
}
