/**
 * A small typed PromQL builder. Every series an expression names goes through the metric
 * catalogue (or the recording rules built from it), so a rule or panel cannot name a metric the
 * server does not expose: `metric()` throws while the rules are built, and `assertKnownMetrics()`
 * checks any finished expression, however it was written.
 *
 * Expressions are plain strings, so the helpers compose with template literals.
 */
import { invalidProp } from '../errors';
import {
  KUBE_STATE_METRICS,
  type MetricDefinition,
  METRICS,
  PROBE_METRICS,
  PROCESS_METRICS,
  QUERYABLE_METRICS,
  RECORDED_SERIES,
  type RecordedSeriesDefinition,
  SCRAPE_METRICS,
  SLO_SERIES,
  sloErrorBudgetRemainingSeries,
  sloErrorRatioSeries,
  type SloIndicator,
  type SloWindow,
} from '@mcpenv/contract';

const CATALOGUE = {
  ...METRICS,
  ...PROBE_METRICS,
  ...PROCESS_METRICS,
  ...SCRAPE_METRICS,
  ...KUBE_STATE_METRICS,
};
type Catalogue = typeof CATALOGUE;

/** A metric's key in the catalogue, e.g. `requestsTotal`. */
export type MetricKey = keyof Catalogue;
/** A metric's exposed name, e.g. `mcp_requests_total`. */
export type MetricName = Catalogue[MetricKey]['name'];
/** A catalogued metric, by key or by name. */
export type MetricRef = MetricKey | MetricName;
type DefinitionOf<R extends MetricRef> = R extends MetricKey
  ? Catalogue[R]
  : Extract<Catalogue[MetricKey], { readonly name: R }>;
/** The labels a catalogued metric carries. */
export type LabelOf<R extends MetricRef> = DefinitionOf<R>['labelNames'][number];
/** The histograms in the catalogue. */
export type HistogramRef = {
  [R in MetricRef]: DefinitionOf<R>['type'] extends 'histogram' ? R : never;
}[MetricRef];

type Recorded = typeof RECORDED_SERIES;
/** A recorded series' key, e.g. `requestRate`. */
export type RecordedKey = keyof Recorded;
/** A recorded series' name, e.g. `mcp:mcp_requests:rate5m`. */
export type RecordedName = Recorded[RecordedKey]['name'];
/** A recorded series, by key or by name. */
export type RecordedRef = RecordedKey | RecordedName;
type RecordedDefinitionOf<R extends RecordedRef> = R extends RecordedKey
  ? Recorded[R]
  : Extract<Recorded[RecordedKey], { readonly name: R }>;
/** The labels a recorded series carries besides the selector's. */
export type RecordedLabelOf<R extends RecordedRef> = RecordedDefinitionOf<R>['labelNames'][number];

/** How a label matcher compares: PromQL's `=`, `!=`, `=~` and `!~`. */
export class Match {
  /** The label equals `value`. */
  static equal(value: string): Match {
    return new Match('=', value);
  }

  /** The label differs from `value`. */
  static notEqual(value: string): Match {
    return new Match('!=', value);
  }

  /** The label fully matches the RE2 `pattern`, e.g. `5..`. */
  static regex(pattern: string): Match {
    return new Match('=~', pattern);
  }

  /** The label does not fully match the RE2 `pattern`. */
  static notRegex(pattern: string): Match {
    return new Match('!~', pattern);
  }

  private constructor(
    readonly operator: '=' | '!=' | '=~' | '!~',
    readonly value: string,
  ) {}

  /** The matcher after its label name, e.g. `=~"5.."`. */
  toString(): string {
    return `${this.operator}${quote(this.value)}`;
  }
}

/** Label matchers for a series: a plain string means equality. */
export type LabelMatchers<L extends string> = { readonly [K in L]?: string | Match };

/**
 * Target labels that scope every expression to one deployment of the server, e.g.
 * `{ namespace: 'mcp-prod', job: 'mcp-server' }`. Prometheus adds them at scrape time, so they
 * are on every series, `up` included.
 */
export type Selector = Readonly<Record<string, string>>;

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const DURATION_PARTS = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
/** A Grafana interval variable such as `$__rate_interval`, allowed as a range in panels. */
const GRAFANA_INTERVAL = /^\$(?:__[a-z_]+|\{__[a-z_]+\})$/;

/** Whether `text` is a Prometheus duration greater than zero, such as `5m` or `1h30m`. */
export function isPositiveDuration(text: string): boolean {
  const parts = DURATION_PARTS.exec(text);
  return text !== '' && parts !== null && parts.slice(1).some((n) => n !== undefined && Number(n) > 0);
}

/** The length of a Prometheus duration such as `1h30m`, in seconds; throws for anything else. */
export function durationSeconds(text: string): number {
  const parts = DURATION_PARTS.exec(text);
  if (text === '' || parts === null) throw new Error(`${quote(text)} is not a Prometheus duration`);
  const unitSeconds = [365 * 86_400, 7 * 86_400, 86_400, 3_600, 60, 1, 0.001];
  return parts.slice(1).reduce((total, n, index) => total + Number(n ?? 0) * (unitSeconds[index] ?? 0), 0);
}

/** Every catalogued metric by name. */
const BY_NAME: ReadonlyMap<string, MetricDefinition> = new Map(QUERYABLE_METRICS.map((d) => [d.name, d]));
const BY_KEY: ReadonlyMap<string, MetricDefinition> = new Map(Object.entries(CATALOGUE));
/** Recorded series by name. */
const RECORDED_BY_NAME: ReadonlyMap<string, RecordedSeriesDefinition> = new Map(
  Object.values(RECORDED_SERIES).map((d) => [d.name, d]),
);

function definitionOf(ref: string): MetricDefinition {
  const definition = BY_KEY.get(ref) ?? BY_NAME.get(ref);
  if (!definition) {
    const known = QUERYABLE_METRICS.map((d) => d.name).join(', ');
    throw new Error(`metric ${quote(ref)} is not in the metric catalogue (known: ${known})`);
  }
  return definition;
}

/**
 * A series selector: `name{scope..., matchers...}`. Scope labels come first in sorted order,
 * then the matchers in sorted order, so the same call always gives the same text.
 */
function selector(
  name: string,
  labelNames: readonly string[],
  matchers: Readonly<Record<string, string | Match | undefined>>,
  scope: Selector,
): string {
  const parts: string[] = [];
  for (const label of Object.keys(scope).sort()) {
    if (!LABEL_NAME.test(label) || label.startsWith('__')) {
      throw new Error(`selector label ${quote(label)} is not a valid Prometheus label name`);
    }
    if (Object.hasOwn(matchers, label)) {
      throw new Error(`label ${quote(label)} of ${name} is matched both by the selector and by the query`);
    }
    parts.push(`${label}=${quote(scope[label] ?? '')}`);
  }
  for (const label of Object.keys(matchers).sort()) {
    const matcher = matchers[label];
    if (matcher === undefined) continue;
    if (!labelNames.includes(label)) {
      const known = labelNames.length > 0 ? labelNames.join(', ') : 'none';
      throw new Error(`metric ${quote(name)} has no label ${quote(label)} (its labels: ${known})`);
    }
    parts.push(`${label}${matcher instanceof Match ? matcher.toString() : Match.equal(matcher).toString()}`);
  }
  return parts.length > 0 ? `${name}{${parts.join(',')}}` : name;
}

/**
 * Selects a catalogued counter or gauge, e.g. `metric('mcp_requests_total', { status:
 * Match.regex('5..') }, { job: 'mcp-server' })`. Throws for a name outside the catalogue, a
 * label the metric does not have, or a histogram (use `histogramBuckets`).
 */
export function metric<R extends MetricRef>(
  ref: R,
  matchers: LabelMatchers<LabelOf<R>> = {},
  scope: Selector = {},
): string {
  const definition = definitionOf(ref);
  if (definition.type === 'histogram') {
    throw new Error(
      `metric ${quote(definition.name)} is a histogram: select its series with histogramBuckets()`,
    );
  }
  return selector(definition.name, definition.labelNames, matchers, scope);
}

/** Selects the `_bucket` series of a catalogued histogram; `le` may be matched too. */
export function histogramBuckets<R extends HistogramRef>(
  ref: R,
  matchers: LabelMatchers<LabelOf<R> | 'le'> = {},
  scope: Selector = {},
): string {
  const definition = definitionOf(ref);
  if (definition.type !== 'histogram') {
    throw new Error(`metric ${quote(definition.name)} is a ${definition.type}, not a histogram`);
  }
  return selector(`${definition.name}_bucket`, [...definition.labelNames, 'le'], matchers, scope);
}

/** Selects a series written by one of the recording rules in `recording-rules.ts`. */
export function recorded<R extends RecordedRef>(
  ref: R,
  matchers: LabelMatchers<RecordedLabelOf<R>> = {},
  scope: Selector = {},
): string {
  const byKey: Readonly<Record<string, RecordedSeriesDefinition>> = RECORDED_SERIES;
  const definition = Object.hasOwn(byKey, ref) ? byKey[ref] : RECORDED_BY_NAME.get(ref);
  if (!definition) {
    const known = Object.values(RECORDED_SERIES)
      .map((d) => d.name)
      .join(', ');
    throw new Error(`series ${quote(ref)} is not written by any recording rule (known: ${known})`);
  }
  return selector(definition.name, definition.labelNames, matchers, scope);
}

/**
 * Selects a series an SLO recording rule writes: `sloErrorRatio('availability', '1h', scope)` is
 * `mcp:slo_availability_errors:ratio_rate1h{scope}`, `sloErrorRatio('latency', 'budget', scope)`
 * the share of the latency error budget left.
 */
export function sloRecorded(
  indicator: SloIndicator,
  window: SloWindow | 'budget',
  scope: Selector = {},
): string {
  const name =
    window === 'budget' ? sloErrorBudgetRemainingSeries(indicator) : sloErrorRatioSeries(indicator, window);
  if (!SLO_SERIES.some((definition) => definition.name === name)) {
    throw new Error(`series ${quote(name)} is not written by any SLO recording rule`);
  }
  return selector(name, [], {}, scope);
}

function checkWindow(window: string): void {
  if (!isPositiveDuration(window) && !GRAFANA_INTERVAL.test(window)) {
    throw new Error(`range ${quote(window)} is not a positive duration such as "5m" or $__rate_interval`);
  }
}

/** `value` to twelve significant digits, without binary noise (1 - 0.999 is 0.0010000000000000009). */
export function tidyNumber(value: number): number {
  return Number(value.toPrecision(12));
}

/** A number as an expression writes it: tidied, so `0.001`, not `0.0010000000000000009`. */
export function promNumber(value: number): string {
  return String(tidyNumber(value));
}

/** `rate(series[window])`: per-second rate of a counter. */
export function rate(series: string, window: string): string {
  checkWindow(window);
  return `rate(${series}[${window}])`;
}

function aggregate(operator: string, expr: string, by: readonly string[]): string {
  for (const label of by) {
    if (!LABEL_NAME.test(label)) throw new Error(`${quote(label)} is not a valid label name to aggregate by`);
  }
  return by.length > 0 ? `${operator} by (${by.join(', ')}) (${expr})` : `${operator}(${expr})`;
}

/** `sum by (labels) (expr)`, or `sum(expr)` with no labels. */
export function sum(expr: string, by: readonly string[] = []): string {
  return aggregate('sum', expr, by);
}

/** `max by (labels) (expr)`, or `max(expr)` with no labels. */
export function max(expr: string, by: readonly string[] = []): string {
  return aggregate('max', expr, by);
}

/** `min by (labels) (expr)`, or `min(expr)` with no labels. */
export function min(expr: string, by: readonly string[] = []): string {
  return aggregate('min', expr, by);
}

/**
 * `histogram_quantile(q, buckets)`, where `buckets` is a bucket rate already aggregated by
 * `le` (and whatever else the result keeps).
 */
export function histogramQuantile(quantile: number, buckets: string): string {
  if (!(quantile >= 0 && quantile <= 1)) throw new Error(`quantile ${quantile} is not between 0 and 1`);
  return `histogram_quantile(${quantile}, ${buckets})`;
}

/**
 * `numerator / denominator` as a ratio that is 0, not absent, when the numerator has no series
 * but the denominator does (no 5xx has happened yet), and never divides by zero: the
 * denominator is clamped to 1e-9. Both sides must carry the same labels.
 */
export function ratio(numerator: string, denominator: string): string {
  return `(${numerator} or ${denominator} * 0) / clamp_min(${denominator}, 1e-9)`;
}

/** `label_replace(expr, dst, replacement, src, regex)`. */
export function labelReplace(
  expr: string,
  dst: string,
  replacement: string,
  src: string,
  regex: string,
): string {
  return `label_replace(${expr}, ${quote(dst)}, ${quote(replacement)}, ${quote(src)}, ${quote(regex)})`;
}

/** `absent(series)`: 1 with the series' equality labels when nothing matches. */
export function absent(series: string): string {
  return `absent(${series})`;
}

/** A PromQL double-quoted string literal (JSON escaping is valid PromQL escaping). */
function quote(text: string): string {
  return JSON.stringify(text);
}

/** Words the PromQL lexer reserves; never metric names. */
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'atan2',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'inf',
  'nan',
  'sum',
  'avg',
  'count',
  'min',
  'max',
  'group',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'quantile',
  'count_values',
  'limitk',
  'limit_ratio',
]);
/** Keywords followed by a parenthesised list of label names. */
const LABEL_LIST_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const IDENT_START = /[a-zA-Z_:]/;
const IDENT_PART = /[a-zA-Z0-9_:]/;
const SPACE = /\s/;

/**
 * The metric names an arbitrary PromQL expression selects, in order of first use, each once.
 * Skips functions (identifiers followed by `(`), keywords and aggregation operators, label
 * names inside `{}` and label lists after `by`/`without`/`on`/`ignoring`/`group_left`/
 * `group_right`, ranges and durations, numbers, strings, comments and Grafana variables.
 * A `{__name__="x"}` matcher counts as the name `x`; a `__name__` matcher with any other operator
 * cannot be resolved and is returned as written (`__name__=~"mcp_.*"`), so a guard rejects it.
 */
export function metricNamesIn(expr: string): string[] {
  const names: string[] = [];
  const add = (name: string): void => {
    if (!names.includes(name)) names.push(name);
  };
  let i = 0;

  const skipSpace = (): void => {
    while (i < expr.length && SPACE.test(expr[i] ?? '')) i++;
  };
  const readString = (): string => {
    const open = expr[i];
    let value = '';
    i++;
    while (i < expr.length && expr[i] !== open) {
      if (expr[i] === '\\' && open !== '`') {
        value += expr[i + 1] ?? '';
        i += 2;
      } else {
        value += expr[i];
        i++;
      }
    }
    i++;
    return value;
  };
  const readIdentifier = (): string => {
    const start = i;
    while (i < expr.length && IDENT_PART.test(expr[i] ?? '')) i++;
    return expr.slice(start, i);
  };
  const skipPast = (close: string): void => {
    while (i < expr.length && expr[i] !== close) {
      if (expr[i] === '"' || expr[i] === "'" || expr[i] === '`') readString();
      else i++;
    }
    i++;
  };
  const readMatchers = (): void => {
    i++; // '{'
    for (;;) {
      skipSpace();
      const c = expr[i];
      if (c === undefined) return;
      if (c === '}') {
        i++;
        return;
      }
      if (c === ',') {
        i++;
        continue;
      }
      let label: string;
      if (c === '"' || c === "'" || c === '`') {
        label = readString();
        skipSpace();
        if (expr[i] === ',' || expr[i] === '}') {
          add(label); // Prometheus 3's quoted metric name: {"name"}
          continue;
        }
      } else if (IDENT_START.test(c)) {
        label = readIdentifier();
      } else {
        i++;
        continue;
      }
      skipSpace();
      const operator = /^(=~|!~|!=|=)/.exec(expr.slice(i))?.[0] ?? '';
      i += operator.length;
      skipSpace();
      const quoteChar = expr[i];
      const value = quoteChar === '"' || quoteChar === "'" || quoteChar === '`' ? readString() : '';
      if (label === '__name__') add(operator === '=' ? value : `__name__${operator}${quote(value)}`);
    }
  };
  const skipNumber = (): void => {
    const start = i;
    const hex = /^0[xX]/.test(expr.slice(i));
    while (i < expr.length) {
      const c = expr[i] ?? '';
      if (/[0-9a-zA-Z_.]/.test(c)) {
        i++;
      } else if ((c === '+' || c === '-') && !hex && /[eE]$/.test(expr.slice(start, i))) {
        i++;
      } else {
        break;
      }
    }
  };

  while (i < expr.length) {
    const c = expr[i] ?? '';
    if (c === '"' || c === "'" || c === '`') {
      readString();
    } else if (c === '#') {
      skipPast('\n');
    } else if (c === '{') {
      readMatchers();
    } else if (c === '[') {
      skipPast(']');
    } else if (c === '$') {
      i++;
      if (expr[i] === '{') skipPast('}');
      else readIdentifier();
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(expr[i + 1] ?? ''))) {
      skipNumber();
    } else if (IDENT_START.test(c)) {
      const word = readIdentifier();
      skipSpace();
      const lower = word.toLowerCase();
      if (LABEL_LIST_KEYWORDS.has(lower)) {
        if (expr[i] === '(') skipPast(')');
      } else if (KEYWORDS.has(lower) || expr[i] === '(') {
        // A keyword, an aggregation operator or a function call: not a series.
      } else {
        add(word);
      }
    } else {
      i++;
    }
  }
  return names;
}

/**
 * Every name an expression may select: the catalogue (histograms by their `_bucket`, `_sum`
 * and `_count` series, which are what Prometheus stores) and the recorded series.
 */
export function queryableSeriesNames(): string[] {
  const names: string[] = [];
  for (const definition of QUERYABLE_METRICS) {
    if (definition.type === 'histogram') {
      names.push(`${definition.name}_bucket`, `${definition.name}_sum`, `${definition.name}_count`);
    } else {
      names.push(definition.name);
    }
  }
  names.push(...Object.values(RECORDED_SERIES).map((d) => d.name), ...SLO_SERIES.map((d) => d.name));
  return names;
}

/**
 * Throws unless every metric `expr` selects is in the catalogue or written by a recording rule;
 * returns `expr`, so it can wrap an expression where it is used.
 */
export function assertKnownMetrics(expr: string): string {
  const known = queryableSeriesNames();
  const unknown = metricNamesIn(expr).filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    const list = unknown.map((name) => quote(name)).join(', ');
    throw new Error(
      `expression selects ${list}, which the metric catalogue and the recording rules do not define ` +
        `(known: ${known.join(', ')}): ${expr}`,
    );
  }
  return expr;
}

/**
 * Checks a selector prop (`selector`, or `prop`): at least one label (alerts on `up` would
 * otherwise watch every target Prometheus scrapes), valid target label names that no catalogued
 * metric uses itself, and non-empty values.
 */
export function checkSelector(construct: string, selector: Selector, prop = 'selector'): void {
  const labels = Object.keys(selector);
  const fix = 'scope by target labels such as { namespace: "mcp-prod", job: "mcp-server" }';
  if (labels.length === 0) {
    throw invalidProp(construct, prop, 'have at least one label', selector, fix);
  }
  const metricLabels = new Set(QUERYABLE_METRICS.flatMap((d) => d.labelNames));
  for (const label of labels) {
    if (!LABEL_NAME.test(label) || label.startsWith('__')) {
      throw invalidProp(construct, `${prop}.${label}`, 'be a Prometheus label name', label, fix);
    }
    if (metricLabels.has(label)) {
      throw invalidProp(
        construct,
        `${prop}.${label}`,
        'be a target label, not a label the server sets on its metrics',
        label,
        fix,
      );
    }
    if (selector[label] === '') {
      throw invalidProp(construct, `${prop}.${label}`, 'not be empty', selector[label], fix);
    }
  }
}
