import type { Command } from 'commander';
import { stringify } from 'yaml';
import { ValidationError } from '../../constructs/errors';
import { DEFAULT_ENVIRONMENT } from '../../app/paths';
import { out } from '../output';

interface RestoreJobFlags {
  readonly env?: string;
  readonly config?: string;
  readonly dump: string;
  readonly json?: boolean;
}

/** Prints the restore Job of an environment's Postgres backups (stdout) and the steps around it (stderr). */
async function printRestoreJob(flags: RestoreJobFlags): Promise<void> {
  const { loadSelectedEnvironment } = await import('../../app/environments.js');
  const { App } = await import('cdk8s');
  const { EnvironmentChart, environmentNamespace } = await import('../../stacks/environment-chart.js');
  const spec = loadSelectedEnvironment(flags);
  const backup = new EnvironmentChart(new App(), spec).environment.postgresBackup;
  if (backup === undefined) {
    throw new ValidationError(
      `the environment ${spec.name} has no backups: set dataTier.postgres.backup (kind in-cluster) in its file`,
    );
  }
  const job = backup.restoreJobManifest(flags.dump);
  if (flags.json) {
    out.data(JSON.stringify(job));
  } else {
    out.data(stringify(job, { lineWidth: 0, aliasDuplicateObjects: false }).trimEnd());
  }
  const kubectl = `kubectl -n ${environmentNamespace(spec)}`;
  const server = `${spec.name}-server`;
  const selector = flags.config !== undefined ? `-c ${flags.config}` : `-e ${spec.name}`;
  const steps = [
    `Restoring ${flags.dump} replaces the whole database ${spec.name} uses. Steps:`,
    `  1. ${kubectl} scale deployment/${server} --replicas=0`,
    `  2. ${kubectl} patch cronjob/${backup.name} -p '{"spec":{"suspend":true}}'`,
    `  3. mcpenv backup restore-job ${selector} --dump ${flags.dump} | ${kubectl} create -f -`,
    `  4. ${kubectl} wait --for=condition=complete --timeout=1h job/${spec.name}-restore; ${kubectl} logs job/${spec.name}-restore`,
    `  5. ${kubectl} scale deployment/${server} --replicas=${spec.replicas ?? 2}; ` +
      `${kubectl} patch cronjob/${backup.name} -p '{"spec":{"suspend":false}}'; ${kubectl} delete job/${spec.name}-restore`,
  ];
  for (const line of steps) out.progress(line);
}

export function registerBackup(program: Command): void {
  const backup = program.command('backup').description('Operate the backups of an in-cluster Postgres');
  backup
    .command('restore-job')
    .description(
      "Print the Kubernetes Job that restores one dump into the environment's Postgres (pg_restore --clean --if-exists --exit-on-error --single-transaction), and the steps around it",
    )
    .requiredOption(
      '--dump <name>',
      'the dump to restore, as the backups named it, e.g. mcp-20260105T030000Z.dump',
    )
    .option('-e, --env <name>', `environment (a file in app/environments; default ${DEFAULT_ENVIRONMENT})`)
    .option('-c, --config <file>', 'environment file instead of --env')
    .option('--json', 'print the Job as JSON instead of YAML')
    .action(printRestoreJob);
}
