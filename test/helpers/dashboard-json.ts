/**
 * `tsx test/helpers/dashboard-json.ts '<props as JSON>'` writes the dashboard JSON for those
 * props to stdout: a build in a fresh process, for the determinism test to compare with its own.
 */
import { buildDashboard, type DashboardProps, dashboardToJson } from '../../constructs/monitoring/dashboard';

const props = JSON.parse(process.argv[2] ?? '{}') as DashboardProps;
process.stdout.write(dashboardToJson(buildDashboard(props)));
