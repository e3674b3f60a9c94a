import type { ProbeReport } from './run';

/** A report as the `--json` object: these keys in this order, whatever built the report. */
export function renderJson(report: ProbeReport): string {
  const { url, ok, protocolVersion, server, tool, steps, tls, failedStep } = report;
  return JSON.stringify({
    url,
    ok,
    protocolVersion,
    server,
    tool,
    steps: steps.map(({ step, ok: passed, seconds, error }) => ({
      step,
      ok: passed,
      seconds,
      ...(error === undefined ? {} : { error }),
    })),
    tls,
    failedStep,
  });
}

function daysLeft(days: number): string {
  if (days < 0) return `expired ${-days} day${days === -1 ? '' : 's'} ago`;
  return `${days} day${days === 1 ? '' : 's'} left`;
}

/** A report for people: one line per step with milliseconds, what was negotiated, then the verdict. */
export function renderText(report: ProbeReport): string[] {
  const lines = [`probe ${report.url}`];
  for (const { step, ok, seconds, error } of report.steps) {
    const outcome = step === 'total' ? '' : ok ? '  ok' : `  FAILED: ${error ?? 'unknown error'}`;
    lines.push(`  ${step.padEnd(10)} ${String(Math.round(seconds * 1000)).padStart(6)} ms${outcome}`);
  }
  if (report.protocolVersion) lines.push(`protocol:    ${report.protocolVersion}`);
  if (report.server) lines.push(`server:      ${report.server.name} ${report.server.version}`);
  if (report.tool) lines.push(`tool:        ${report.tool}`);
  if (report.tls) {
    const date = report.tls.notAfter.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');
    lines.push(`certificate: expires ${date} (${daysLeft(report.tls.daysLeft)})`);
  }
  const failed = report.steps.find((step) => step.step === report.failedStep);
  lines.push(
    report.ok ? 'healthy' : `failing at ${report.failedStep ?? 'an unknown step'}: ${failed?.error ?? ''}`,
  );
  return lines;
}
