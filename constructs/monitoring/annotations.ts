/**
 * Renders alert annotations the way Prometheus's template engine will, for the forms the alerts
 * use, so the generated rule tests can state the exact text Alertmanager receives. Anything else
 * throws: the generator never guesses.
 */

/** Go's `%.4g`, which Prometheus's humanize functions use. */
function formatG4(value: number): string {
  if (value === 0) return '0';
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? '+Inf' : '-Inf';
  const [mantissa = '', exponentText = '0'] = value.toExponential(3).split('e');
  const exponent = Number(exponentText);
  const trim = (digits: string): string => (digits.includes('.') ? digits.replace(/\.?0+$/, '') : digits);
  if (exponent < -4 || exponent >= 4) {
    const sign = exponent < 0 ? '-' : '+';
    return `${trim(mantissa)}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return trim(value.toFixed(3 - exponent));
}

/** Prometheus's `humanizeDuration` template function. */
function humanizeDuration(seconds: number): string {
  if (seconds === 0 || !Number.isFinite(seconds)) return `${formatG4(seconds)}${seconds === 0 ? 's' : ''}`;
  const sign = seconds < 0 ? '-' : '';
  let value = Math.abs(seconds);
  if (value >= 1) {
    const whole = Math.trunc(value);
    const [days, hours, minutes, secs] = [
      Math.trunc(whole / 86_400),
      Math.trunc(whole / 3_600) % 24,
      Math.trunc(whole / 60) % 60,
      whole % 60,
    ];
    if (days !== 0) return `${sign}${days}d ${hours}h ${minutes}m ${secs}s`;
    if (hours !== 0) return `${sign}${hours}h ${minutes}m ${secs}s`;
    if (minutes !== 0) return `${sign}${minutes}m ${secs}s`;
    return `${sign}${formatG4(value)}s`;
  }
  let prefix = '';
  for (const next of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (value >= 1) break;
    prefix = next;
    value *= 1000;
  }
  return `${sign}${formatG4(value)}${prefix}s`;
}

const TEMPLATE_ACTION = /\{\{\s*(.*?)\s*\}\}/g;

/**
 * `{{ with query `...` }}{{ . | first | value | humanizePercentage }}{{ else }}...{{ end }}`: a
 * value read by a query at evaluation time, with the text shown when the query returns nothing.
 */
const QUERY_BLOCK =
  /\{\{ with query `([^`]*)` \}\}\{\{ \. \| first \| value \| humanizePercentage \}\}\{\{ else \}\}(.*?)\{\{ end \}\}/g;

/** Prometheus's `humanize` template function: SI prefixes, four significant digits. */
export function humanize(input: number): string {
  if (input === 0 || !Number.isFinite(input)) return formatG4(input);
  let value = input;
  let prefix = '';
  if (Math.abs(value) >= 1) {
    for (const next of ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y']) {
      if (Math.abs(value) < 1000) break;
      prefix = next;
      value /= 1000;
    }
  } else {
    for (const next of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
      if (Math.abs(value) >= 1) break;
      prefix = next;
      value *= 1000;
    }
  }
  return `${formatG4(value)}${prefix}`;
}

/** Prometheus's `humanizePercentage`. */
export function humanizePercentage(value: number): string {
  return `${formatG4(value * 100)}%`;
}

/**
 * Renders an annotation the way Prometheus will, for the template forms the alerts use:
 * `{{ $labels.name }}`, `{{ $value }}`, `{{ $value | humanize }}`, `humanizePercentage` or
 * `humanizeDuration`, and a query block (above) whose result `queries` gives (`undefined` when
 * the query returns nothing). Anything else throws, so the generator never guesses.
 */
export function renderAnnotation(
  template: string,
  labels: Readonly<Record<string, string>>,
  value: number,
  queries: (query: string) => number | undefined = () => undefined,
): string {
  const withQueries = template.replace(QUERY_BLOCK, (_match, query: string, otherwise: string) => {
    const result = queries(query);
    return result === undefined ? otherwise : humanizePercentage(result);
  });
  return withQueries.replace(TEMPLATE_ACTION, (_match, action: string) => {
    const label = /^\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)$/.exec(action);
    if (label) return labels[label[1] ?? ''] ?? '';
    if (action === '$value') return String(value);
    if (action === '$value | humanize') return humanize(value);
    if (action === '$value | humanizePercentage') return humanizePercentage(value);
    if (action === '$value | humanizeDuration') return humanizeDuration(value);
    throw new Error(`the rule tests cannot render the template action {{ ${action} }}`);
  });
}
