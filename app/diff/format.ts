import { type DiffItem, type DiffReport, type RiskLevel, showDiffValue } from './index';

/** GitHub's limit on a comment body. */
export const GITHUB_COMMENT_LIMIT = 65_536;

const ICON: Record<DiffItem['action'], string> = { added: '+', removed: '-', changed: '~' };
const RISK_ICON: Record<RiskLevel, string> = {
  destroy: '⚠️',
  replace: '⚠️',
  security: '🔒',
  monitoring: '🔔',
};

function summaryLine(report: DiffReport): string {
  const { added, removed, changed, destroy, replace, security, monitoring } = report.summary;
  if (added + removed + changed === 0) return 'No changes.';
  const parts = [`${changed} changed`, `${added} added`, `${removed} removed`];
  const risks = [
    destroy ? `${destroy} destroy` : '',
    replace ? `${replace} replace` : '',
    security ? `${security} security-relevant` : '',
    monitoring ? `${monitoring} monitoring` : '',
  ].filter(Boolean);
  return `${parts.join(', ')}${risks.length ? ` — warnings: ${risks.join(', ')}` : ''}`;
}

export function formatText(report: DiffReport): string {
  const lines = [summaryLine(report)];
  for (const item of report.items) {
    lines.push(`${ICON[item.action]} ${item.side} ${item.address}`);
    for (const risk of item.risks) lines.push(`    ! ${risk.level}: ${risk.message}`);
    for (const change of item.changes) {
      lines.push(
        `    ${change.path}: ${showDiffValue(change.path, change.before)} -> ${showDiffValue(change.path, change.after)}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

export function formatJson(report: DiffReport): string {
  const masked = {
    ...report,
    items: report.items.map((item) => ({
      ...item,
      changes: item.changes.map((change) => ({
        path: change.path,
        before: showDiffValue(change.path, change.before),
        after: showDiffValue(change.path, change.after),
      })),
    })),
  };
  return `${JSON.stringify(masked, null, 2)}\n`;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * Markdown for a pull-request comment: a one-line summary first, warnings next, each object's
 * details in a collapsed section; cut below GitHub's comment limit with a note when too long.
 */
export function formatMarkdown(report: DiffReport, limit = GITHUB_COMMENT_LIMIT): string {
  const head = `**mcpenv diff:** ${summaryLine(report)}\n`;
  if (report.items.length === 0) return head;
  const warnings = report.items.flatMap((item) =>
    item.risks.map(
      (risk) => `- ${RISK_ICON[risk.level]} **${risk.level}** \`${item.address}\`: ${risk.message}`,
    ),
  );
  const sections = report.items.map((item) => {
    const rows = item.changes.map(
      (change) =>
        `| \`${cell(change.path)}\` | ${cell(showDiffValue(change.path, change.before))} | ${cell(showDiffValue(change.path, change.after))} |`,
    );
    const body = rows.length ? `\n| field | before | after |\n|---|---|---|\n${rows.join('\n')}\n` : '';
    return `<details><summary>${ICON[item.action]} ${item.side} <code>${item.address}</code> (${item.action})</summary>\n${body}\n</details>\n`;
  });
  const note = (shown: number) =>
    `\n_Cut to stay under GitHub's comment limit: ${report.items.length - shown} more object(s) changed; run \`mcpenv diff --format text\` for all._\n`;
  let text = `${head}${warnings.length ? `\n${warnings.join('\n')}\n` : ''}\n`;
  for (let index = 0; index < sections.length; index++) {
    const next = sections[index] as string;
    if (text.length + next.length + note(index).length > limit) return text + note(index);
    text += next;
  }
  return text;
}
