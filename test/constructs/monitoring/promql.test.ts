import {
  assertKnownMetrics,
  histogramBuckets,
  histogramQuantile,
  isPositiveDuration,
  Match,
  type MetricName,
  metric,
  metricNamesIn,
  queryableSeriesNames,
  rate,
  ratio,
  recorded,
  sum,
} from '../../../constructs/monitoring/promql';

describe('the PromQL builder', () => {
  test('selects a metric by name or by catalogue key, selector labels first, matchers sorted', () => {
    const byName = metric(
      'mcp_requests_total',
      { status: Match.regex('5..'), method: 'tools/call' },
      { namespace: 'mcp-prod', job: 'mcp-server' },
    );
    expect(byName).toBe(
      'mcp_requests_total{job="mcp-server",namespace="mcp-prod",method="tools/call",status=~"5.."}',
    );
    expect(
      metric(
        'requestsTotal',
        { method: 'tools/call', status: Match.regex('5..') },
        {
          job: 'mcp-server',
          namespace: 'mcp-prod',
        },
      ),
    ).toBe(byName);
    expect(metric('up')).toBe('up');
  });

  test('writes every matcher operator and escapes quotes and backslashes in values', () => {
    expect(
      metric('toolExecutionsTotal', {
        tool_name: Match.notRegex('a\\.b|"c"'),
        status: Match.notEqual('success'),
      }),
    ).toBe('mcp_tool_executions_total{status!="success",tool_name!~"a\\\\.b|\\"c\\""}');
  });

  test('rejects a metric that is not in the catalogue, listing the known ones', () => {
    expect(() => metric('mcp_requests' as MetricName)).toThrow(
      /^metric "mcp_requests" is not in the metric catalogue \(known: mcp_requests_total, .*\bup, kube_cronjob_created, kube_cronjob_status_last_successful_time\)$/,
    );
  });

  test('rejects a label the metric does not have', () => {
    expect(() => metric('mcp_active_connections', { status: '500' } as never)).toThrow(
      'metric "mcp_active_connections" has no label "status" (its labels: none)',
    );
  });

  test('rejects a label set by both the selector and the query', () => {
    expect(() => metric('mcp_requests_total', { status: '500' }, { status: '200' })).toThrow(
      'label "status" of mcp_requests_total is matched both by the selector and by the query',
    );
  });

  test('rejects a selector label that is not a Prometheus label name', () => {
    expect(() => metric('up', {}, { 'app.kubernetes.io/name': 'x' })).toThrow(
      'selector label "app.kubernetes.io/name" is not a valid Prometheus label name',
    );
  });

  test('selects histograms only by their bucket series, where le may be matched', () => {
    expect(histogramBuckets('mcp_request_duration_seconds', { endpoint: '/mcp', le: '+Inf' })).toBe(
      'mcp_request_duration_seconds_bucket{endpoint="/mcp",le="+Inf"}',
    );
    expect(() => metric('requestDurationSeconds' as never)).toThrow(
      'metric "mcp_request_duration_seconds" is a histogram: select its series with histogramBuckets()',
    );
  });

  test('rejects bucket series of a metric that is not a histogram', () => {
    expect(() => histogramBuckets('mcp_requests_total' as never)).toThrow(
      'metric "mcp_requests_total" is a counter, not a histogram',
    );
  });

  test('selects recorded series with their own labels', () => {
    expect(recorded('requestRate', { status_class: '5xx' }, { job: 'mcp-server' })).toBe(
      'mcp:mcp_requests:rate5m{job="mcp-server",status_class="5xx"}',
    );
  });

  test('rejects a series no recording rule writes', () => {
    expect(() => recorded('mcp:nothing:rate5m' as never)).toThrow(
      /^series "mcp:nothing:rate5m" is not written by any recording rule \(known: mcp:mcp_requests:rate5m, /,
    );
  });

  test('takes rates over Prometheus durations and Grafana interval variables', () => {
    expect(rate('x', '5m')).toBe('rate(x[5m])');
    expect(rate('x', '$__rate_interval')).toBe('rate(x[$__rate_interval])');
  });

  test('rejects a rate window that is not a positive duration', () => {
    expect(() => rate('x', '5 minutes')).toThrow('range "5 minutes" is not a positive duration');
  });

  test('rejects a quantile outside 0 to 1', () => {
    expect(() => histogramQuantile(95, 'x')).toThrow('quantile 95 is not between 0 and 1');
  });

  test('aggregates with or without a by clause', () => {
    expect(sum('x')).toBe('sum(x)');
    expect(sum('x', ['job', 'endpoint'])).toBe('sum by (job, endpoint) (x)');
  });

  test('rejects an aggregation label that is not a label name', () => {
    expect(() => sum('x', ['a-b'])).toThrow('"a-b" is not a valid label name to aggregate by');
  });

  test('guards ratios against a missing numerator and a zero denominator', () => {
    expect(ratio('errors', 'all')).toBe('(errors or all * 0) / clamp_min(all, 1e-9)');
  });

  test.each([
    ['5m', true],
    ['1h30m', true],
    ['90s', true],
    ['500ms', true],
    ['0s', false],
    ['0m0s', false],
    ['', false],
    ['5', false],
    ['m5', false],
    ['5m1h', false],
    ['-5m', false],
  ])('knows whether %j is a positive Prometheus duration', (text, expected) => {
    expect(isPositiveDuration(text)).toBe(expected);
  });
});

describe('metricNamesIn', () => {
  test.each<[string, string, string[]]>([
    ['a bare name', 'up', ['up']],
    [
      'label names and values inside braces',
      'sum by (endpoint, status) (rate(mcp_requests_total{status=~"5..", method!="tools/call"}[5m]))',
      ['mcp_requests_total'],
    ],
    ['set operators', 'a and b or c unless d', ['a', 'b', 'c', 'd']],
    [
      'vector matching label lists',
      'sum(rate(foo[5m])) / on (job) group_left (instance, pod) bar * ignoring(le) group_right baz',
      ['foo', 'bar', 'baz'],
    ],
    ['offset, bool and exponent numbers', 'x offset 5m > bool 1e-9 + 2.5E+3 - 0x1F', ['x']],
    ['negative offsets and @ modifiers', 'x[5m] offset -1h @ start()', ['x']],
    [
      'strings that look like metrics',
      'label_replace(x, "dst", "$1 up", "src", \'(.*) y\') + `raw z`',
      ['x'],
    ],
    ['a __name__ matcher', '{__name__="foo", job="x"} / {__name__ = `bar`}', ['foo', 'bar']],
    ['a __name__ regex, which cannot be resolved', '{__name__=~"mcp_.*"}', ['__name__=~"mcp_.*"']],
    [
      'aggregations written before or after their by clause',
      'histogram_quantile(0.9, sum without (pod) (rate(h_bucket[$__rate_interval]))) + sum(x) by (le)',
      ['h_bucket', 'x'],
    ],
    ['upper-case keywords', 'SUM BY (a) (x) OR Max(y)', ['x', 'y']],
    [
      'recording rule names with colons',
      'job:foo:rate5m{job="a"} / job:bar:sum',
      ['job:foo:rate5m', 'job:bar:sum'],
    ],
    ['subqueries', 'max_over_time(rate(foo[1m])[1h:5m])', ['foo']],
    ['a space before a function call', 'rate (foo [5m])', ['foo']],
    ['infinities and NaN', 'x > Inf or y != NaN', ['x', 'y']],
    ['functions without a series', 'vector(1) + time() + scalar(z)', ['z']],
    ['comments', '# up is not used\nfoo # nor is bar', ['foo']],
    ['Grafana variables', 'x{pod=~"$pod"} / ${divisor} * $__range_s', ['x']],
    ['each name once, in order of first use', 'b + a + b', ['b', 'a']],
  ])('finds the metrics in %s', (_case, expr, names) => {
    expect(metricNamesIn(expr)).toEqual(names);
  });
});

describe('assertKnownMetrics', () => {
  test('accepts catalogued metrics, histogram series and recorded series, and returns the expression', () => {
    const expr =
      'sum(rate(mcp_request_duration_seconds_bucket[5m])) + mcp_request_duration_seconds_count + ' +
      'mcp:mcp_requests:rate5m + process_resident_memory_bytes + up';
    expect(assertKnownMetrics(expr)).toBe(expr);
  });

  test('rejects a metric outside the catalogue and the recording rules', () => {
    expect(() => assertKnownMetrics('rate(mcp_request_total[5m])')).toThrow(
      /^expression selects "mcp_request_total", which the metric catalogue and the recording rules do not define/,
    );
  });

  test('rejects the bare name of a histogram, which Prometheus does not store', () => {
    expect(() => assertKnownMetrics('mcp_request_duration_seconds > 1')).toThrow(
      /selects "mcp_request_duration_seconds",/,
    );
  });

  test('rejects a __name__ regex it cannot check', () => {
    expect(() => assertKnownMetrics('{__name__=~"mcp_.*"}')).toThrow(/selects "__name__=~\\"mcp_\.\*\\"",/);
  });

  test('knows each histogram by its three series', () => {
    expect(queryableSeriesNames()).toEqual(
      expect.arrayContaining([
        'mcp_request_duration_seconds_bucket',
        'mcp_request_duration_seconds_sum',
        'mcp_request_duration_seconds_count',
      ]),
    );
    expect(queryableSeriesNames()).not.toContain('mcp_request_duration_seconds');
  });
});
