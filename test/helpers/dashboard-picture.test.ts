import {
  buildDashboard,
  type DashboardPanel,
  dashboardPanels,
  type DashboardRow,
  type GrafanaDashboard,
} from '../../constructs/monitoring/dashboard';
import {
  formatLegend,
  formatUnit,
  type PanelResults,
  renderDashboardSvg,
  type SeriesData,
} from './dashboard-picture';

// 2023-11-14T22:13:20Z; half an hour of one-minute steps.
const START = 1_700_000_000;
const END = START + 1800;
const STEP = 60;

function panel(overrides: Partial<DashboardPanel> & Pick<DashboardPanel, 'id' | 'title'>): DashboardPanel {
  return {
    type: 'timeseries',
    description: '',
    datasource: { type: 'prometheus', uid: '${datasource}' },
    gridPos: { h: 8, w: 12, x: 0, y: 0 },
    fieldConfig: { defaults: { unit: 'reqps', min: 0 }, overrides: [] },
    options: {},
    targets: [
      {
        refId: 'A',
        datasource: { type: 'prometheus', uid: '${datasource}' },
        expr: 'sum(x)',
        legendFormat: '{{pod}}',
        range: true,
      },
    ],
    ...overrides,
  };
}

function dashboard(...panels: (DashboardPanel | DashboardRow)[]): GrafanaDashboard {
  return { uid: 'test', title: 'Test dashboard', schemaVersion: 39, panels, templating: { list: [] } };
}

/** One panel's results, all under refId A. */
function results(panelId: number, ...series: SeriesData[]): PanelResults {
  return new Map([[panelId, new Map([['A', series]])]]);
}

/** A sample every minute from START, one per value. */
function samples(...values: number[]): [number, number][] {
  return values.map((value, i) => [START + i * STEP, value]);
}

/** Throws unless every `<` opens a tag, tags nest and close, and every `&` starts an entity. */
function expectWellFormed(svg: string): void {
  expect(svg.startsWith('<svg ')).toBe(true);
  expect(svg.endsWith('</svg>\n')).toBe(true);
  const tags = [...svg.matchAll(/<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<>]*")*)\s*(\/?)>/g)];
  expect(tags).toHaveLength(svg.split('<').length - 1);
  const open: string[] = [];
  for (const [, closing, name, , selfClosing] of tags) {
    if (closing) {
      expect(open.pop()).toBe(name);
    } else if (!selfClosing) {
      open.push(name);
    }
  }
  expect(open).toEqual([]);
  expect(svg.match(/&(?!(?:amp|lt|gt|quot|apos);)/g)).toBeNull();
}

/** The text content of every <text> element, unescaped. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map(([, content]) =>
    content
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, '&'),
  );
}

/** Label values a panel's legend formats ask for, and a deterministic wave for each series. */
function syntheticResults(dash: GrafanaDashboard): PanelResults {
  const byPanel = new Map<number, Map<string, SeriesData[]>>();
  for (const p of dashboardPanels(dash)) {
    const byRefId = new Map<string, SeriesData[]>();
    p.targets.forEach((target, targetIndex) => {
      const names = [...target.legendFormat.matchAll(/\{\{(\w+)\}\}/g)].map(([, name]) => name);
      const series = [0, 1].map((seriesIndex): SeriesData => {
        const labels = Object.fromEntries(names.map((name) => [name, `${name}-${seriesIndex}`]));
        const points = Array.from({ length: 31 }, (_, i): [number, number] => {
          const phase = i / 5 + targetIndex + seriesIndex;
          const value =
            p.type === 'state-timeline'
              ? Number(i < 20 || i > 24 || seriesIndex === 0)
              : (1.5 + Math.sin(phase)) * (targetIndex + 1) * 0.7;
          return [START + i * STEP, value];
        });
        return { labels, points };
      });
      byRefId.set(target.refId, names.length === 0 ? series.slice(0, 1) : series);
    });
    byPanel.set(p.id, byRefId);
  }
  return byPanel;
}

describe('formatLegend', () => {
  test('replaces each {{label}} with the series label value', () => {
    expect(formatLegend('{{tool_name}} {{status}}', { tool_name: 'search', status: 'success' })).toBe(
      'search success',
    );
    expect(formatLegend('p95 {{ endpoint }}', { endpoint: '/mcp' })).toBe('p95 /mcp');
    expect(formatLegend('total', { job: 'mcp-server' })).toBe('total');
  });

  test('leaves an empty string for a missing label and trims the result', () => {
    expect(formatLegend('p95 {{endpoint}}', {})).toBe('p95');
    expect(formatLegend('{{tool_name}} {{status}}', { status: 'error' })).toBe('error');
    expect(formatLegend('{{pod}}', {})).toBe('');
  });

  test('ignores names that only the object prototype has', () => {
    expect(formatLegend('{{constructor}}{{toString}}', {})).toBe('');
  });

  test('gives the labels as {a="b"} when the legend format is empty', () => {
    expect(formatLegend('', { pod: 'p-1', endpoint: '/mcp' })).toBe('{endpoint="/mcp", pod="p-1"}');
    expect(formatLegend('  ', { __name__: 'up', job: 'mcp' })).toBe('up{job="mcp"}');
    expect(formatLegend('', {})).toBe('{}');
  });
});

describe('formatUnit', () => {
  test.each([
    [0, '0%'],
    [0.25, '25%'],
    [0.0125, '1.25%'],
    [0.001, '0.1%'],
    [1, '100%'],
  ])('writes %p percentunit as %p', (value, expected) => {
    expect(formatUnit(value, 'percentunit')).toBe(expected);
  });

  test.each([
    [0, '0 s'],
    [2.5e-9, '2.5 ns'],
    [0.0000025, '2.5 µs'],
    [0.0123, '12.3 ms'],
    [0.25, '250 ms'],
    [1.5, '1.5 s'],
    [90, '1.5 min'],
    [7200, '2 h'],
    [172800, '2 d'],
  ])('writes %p seconds as %p', (value, expected) => {
    expect(formatUnit(value, 's')).toBe(expected);
  });

  test.each([
    [0, '0 B'],
    [512, '512 B'],
    [1536, '1.5 KiB'],
    [3 * 1024 ** 2, '3 MiB'],
    [1.25 * 1024 ** 3, '1.25 GiB'],
  ])('writes %p bytes as %p', (value, expected) => {
    expect(formatUnit(value, 'bytes')).toBe(expected);
  });

  test.each([
    [0, '0 req/s'],
    [0.5, '0.5 req/s'],
    [12.5, '12.5 req/s'],
    [1500, '1.5K req/s'],
    [2_000_000, '2M req/s'],
  ])('writes %p reqps as %p', (value, expected) => {
    expect(formatUnit(value, 'reqps')).toBe(expected);
  });

  test.each([
    [0.25, '0.25 ops/s'],
    [3, '3 ops/s'],
    [2500, '2.5K ops/s'],
  ])('writes %p ops as %p', (value, expected) => {
    expect(formatUnit(value, 'ops')).toBe(expected);
  });

  test.each([
    [0.75, '0.75'],
    [42, '42'],
    [1500, '1.5 K'],
    [3_000_000, '3 Mil'],
  ])('writes %p short as %p', (value, expected) => {
    expect(formatUnit(value, 'short')).toBe(expected);
  });

  test.each([
    [0.5, '0.5'],
    [-3, '-3'],
    [1234, '1234'],
  ])('writes %p none as %p', (value, expected) => {
    expect(formatUnit(value, 'none')).toBe(expected);
  });

  test('keeps three significant digits and drops trailing zeros', () => {
    expect(formatUnit(1 / 3, 'short')).toBe('0.333');
    expect(formatUnit(123.456, 'short')).toBe('123');
    expect(formatUnit(0.07, 'percentunit')).toBe('7%');
    expect(formatUnit(-0.0000001, 'none')).toBe('0');
  });
});

describe('renderDashboardSvg', () => {
  const requestRate = panel({ id: 1, title: 'Request rate' });

  test('is a standalone SVG with its size, viewBox, namespace and font', () => {
    const svg = renderDashboardSvg(dashboard(requestRate), results(1), { start: START, end: END });
    expect(svg).toMatch(
      /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="1200" height="(\d+)" viewBox="0 0 1200 \1" font-family="Inter, Helvetica, Arial, sans-serif">/,
    );
    expect(svg).toContain('<rect x="0" y="0" width="1200" height');
    expect(svg).toContain('fill="#111217"');
    expect(svg).not.toMatch(/<text(?![^>]*font-size="\d+")/);
    expectWellFormed(svg);
  });

  test('writes the same bytes for the same input', () => {
    const render = (): string =>
      renderDashboardSvg(buildDashboard(), syntheticResults(buildDashboard()), {
        start: START,
        end: END,
        caption: 'Synthetic data',
      });
    expect(render()).toBe(render());
  });

  test('writes no coordinate with more than two decimals', () => {
    const svg = renderDashboardSvg(
      dashboard(requestRate),
      results(1, { labels: { pod: 'a' }, points: samples(1 / 3, 2 / 3, 1 / 7) }),
      { start: START, end: END, width: 1001 },
    );
    expect(svg).not.toMatch(/\d\.\d{3}/);
  });

  test('puts the title, the caption and each panel where its gridPos says', () => {
    const latency = panel({ id: 2, title: 'Latency', gridPos: { h: 8, w: 12, x: 12, y: 8 } });
    const svg = renderDashboardSvg(dashboard(requestRate, latency), results(1), {
      start: START,
      end: END,
      caption: 'From a kind cluster',
    });
    expect(texts(svg).slice(0, 2)).toEqual(['Test dashboard', 'From a kind cluster']);
    expect(texts(svg)).toEqual(expect.arrayContaining(['Request rate', 'Latency']));
    // 1200 px less two 16 px margins, plus one 8 px gap, is 49 px per column.
    const [, top] = /<rect x="16" y="(\d+)" width="580" height="232" rx="2" fill="#181b1f"/.exec(svg) ?? [];
    expect(top).toBeDefined();
    expect(svg).toContain(`<rect x="604" y="${Number(top) + 240}" width="580" height="232" rx="2"`);
  });

  test('leaves out the caption line when there is no caption', () => {
    const svg = renderDashboardSvg(dashboard(requestRate), results(1), { start: START, end: END });
    expect(texts(svg)[0]).toBe('Test dashboard');
    expect(svg).not.toContain('font-size="12"');
  });

  test('shows "No data" in a panel without results', () => {
    const latency = panel({ id: 2, title: 'Latency', gridPos: { h: 8, w: 12, x: 12, y: 0 } });
    const svg = renderDashboardSvg(
      dashboard(requestRate, latency),
      results(1, { labels: { pod: 'a' }, points: samples(1, 2) }),
      { start: START, end: END },
    );
    expect(texts(svg).filter((t) => t === 'No data')).toHaveLength(1);
    expect(svg.slice(svg.indexOf('>Latency<'))).toContain('>No data<');
    expect(svg.slice(0, svg.indexOf('>Latency<'))).not.toContain('>No data<');
  });

  test('labels the y axis from 0 with nice ticks in the panel unit', () => {
    const svg = renderDashboardSvg(
      dashboard(requestRate),
      results(1, { labels: { pod: 'a' }, points: samples(0.3, 0.9, 0.6) }),
      { start: START, end: END },
    );
    expect(texts(svg).filter((t) => t.endsWith('req/s'))).toEqual([
      '0 req/s',
      '0.25 req/s',
      '0.5 req/s',
      '0.75 req/s',
      '1 req/s',
    ]);
  });

  test('labels the y axis of an empty-valued panel from 0 to 1', () => {
    const errors = panel({
      id: 1,
      title: 'Error ratio',
      fieldConfig: { defaults: { unit: 'percentunit', min: 0 }, overrides: [] },
    });
    const svg = renderDashboardSvg(dashboard(errors), results(1, { labels: {}, points: samples(0, 0, 0) }), {
      start: START,
      end: END,
    });
    expect(texts(svg).filter((t) => t.endsWith('%'))).toEqual(['0%', '25%', '50%', '75%', '100%']);
  });

  test('puts byte and duration ticks on round numbers of the unit they are written in', () => {
    const memory = panel({
      id: 1,
      title: 'Memory',
      fieldConfig: { defaults: { unit: 'bytes', min: 0 }, overrides: [] },
    });
    const bytes = renderDashboardSvg(
      dashboard(memory),
      results(1, { labels: {}, points: samples(80 * 1024 ** 2, 180 * 1024 ** 2) }),
      { start: START, end: END },
    );
    expect(texts(bytes).filter((t) => t.endsWith('B'))).toEqual([
      '0 B',
      '50 MiB',
      '100 MiB',
      '150 MiB',
      '200 MiB',
    ]);

    const duration = panel({
      id: 1,
      title: 'Duration',
      fieldConfig: { defaults: { unit: 's', min: 0 }, overrides: [] },
    });
    const seconds = renderDashboardSvg(
      dashboard(duration),
      results(1, { labels: {}, points: samples(30, 270) }),
      {
        start: START,
        end: END,
      },
    );
    expect(texts(seconds).filter((t) => / (s|min)$/.test(t))).toEqual(['0 s', '2 min', '4 min', '6 min']);
  });

  test('draws the axes but no line for series without a finite value', () => {
    const svg = renderDashboardSvg(
      dashboard(requestRate),
      results(1, { labels: { pod: 'a' }, points: samples(NaN, NaN) }),
      {
        start: START,
        end: END,
      },
    );
    expect(texts(svg)).not.toContain('No data');
    expect(texts(svg)).toEqual(expect.arrayContaining(['0 req/s', '1 req/s', 'a']));
    expect(svg).not.toMatch(/<polyline|<circle/);
  });

  test('labels the x axis with 3 to 5 UTC times from the range alone', () => {
    const svg = renderDashboardSvg(
      dashboard(requestRate),
      results(1, { labels: { pod: 'a' }, points: samples(1, 2) }),
      { start: START, end: END },
    );
    expect(texts(svg).filter((t) => /^\d\d:\d\d:\d\d$/.test(t))).toEqual([
      '22:20:00',
      '22:30:00',
      '22:40:00',
    ]);

    for (const seconds of [10, 100, 900, 3600, 6 * 3600, 86400]) {
      const times = texts(
        renderDashboardSvg(dashboard(requestRate), results(1, { labels: {}, points: samples(1) }), {
          start: START,
          end: START + seconds,
        }),
      ).filter((t) => /^\d\d:\d\d:\d\d$/.test(t));
      expect(times.length).toBeGreaterThanOrEqual(3);
      expect(times.length).toBeLessThanOrEqual(5);
    }
  });

  test('draws one line per series in the palette order, with a legend entry each', () => {
    const svg = renderDashboardSvg(
      dashboard(requestRate),
      results(
        1,
        { labels: { pod: 'api-0' }, points: samples(1, 2, 3) },
        { labels: { pod: 'api-1' }, points: samples(3, 2, 1) },
      ),
      { start: START, end: END },
    );
    const strokes = [...svg.matchAll(/<polyline [^>]*stroke="(#[0-9a-f]{6})"/g)].map(([, colour]) => colour);
    expect(strokes).toEqual(['#73bf69', '#f2cc0c']);
    expect(svg).toMatch(/<rect [^>]*fill="#73bf69"\/>\n<text [^>]*>api-0<\/text>/);
    expect(svg).toMatch(/<rect [^>]*fill="#f2cc0c"\/>\n<text [^>]*>api-1<\/text>/);
  });

  test('splits a line where a value is NaN or infinite', () => {
    const svg = renderDashboardSvg(
      dashboard(requestRate),
      results(1, { labels: { pod: 'a' }, points: samples(1, 2, NaN, 2, 3, Infinity, 4, NaN) }),
      { start: START, end: END },
    );
    const lines = [...svg.matchAll(/<polyline points="([^"]*)"/g)].map(([, points]) => points.split(' '));
    expect(lines.map((points) => points.length)).toEqual([2, 2]);
    // The lone sample between Infinity and NaN is a dot.
    expect(svg.match(/<circle /g)).toHaveLength(1);
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  test('escapes XML special characters in legends and titles', () => {
    const tricky = panel({
      id: 1,
      title: 'Errors & <timeouts>',
      targets: [{ ...requestRate.targets[0], legendFormat: '{{reason}}' }],
    });
    const svg = renderDashboardSvg(
      { ...dashboard(tricky), title: "Ops' view" },
      results(1, { labels: { reason: 'a<b & "c"' }, points: samples(1, 2) }),
      { start: START, end: END, caption: 'x > y' },
    );
    expect(svg).toContain('>a&lt;b &amp; &quot;c&quot;</text>');
    expect(svg).toContain('>Errors &amp; &lt;timeouts&gt;</text>');
    expect(svg).toContain('<title>Ops&apos; view</title>');
    expect(svg).toContain('>x &gt; y</text>');
    expectWellFormed(svg);
  });

  test('truncates a legend too long for its panel with an ellipsis', () => {
    const long = 'x'.repeat(300);
    const svg = renderDashboardSvg(
      dashboard(requestRate),
      results(1, { labels: { pod: long }, points: samples(1) }),
      {
        start: START,
        end: END,
      },
    );
    const legend = texts(svg).find((t) => t.startsWith('xxx'));
    expect(legend).toMatch(/^x+…$/);
    expect(legend?.length).toBeLessThan(100);
  });

  test('counts the legend entries that do not fit in three rows', () => {
    const many = Array.from({ length: 60 }, (_, i) => ({ labels: { pod: `pod-${i}` }, points: samples(i) }));
    const svg = renderDashboardSvg(dashboard(requestRate), results(1, ...many), { start: START, end: END });
    const shown = texts(svg).filter((t) => t.startsWith('pod-')).length;
    expect(shown).toBeGreaterThan(0);
    expect(texts(svg)).toContain(`+${60 - shown} more`);
  });

  test('colours a state timeline green for up, red for down and grey without data', () => {
    const readiness = panel({
      id: 1,
      title: 'Readiness',
      type: 'state-timeline',
      fieldConfig: { defaults: { unit: 'none' }, overrides: [] },
      targets: [{ ...requestRate.targets[0], legendFormat: 'ready {{pod}}' }],
    });
    // Up for five minutes, down for two, then no samples for the rest of the range.
    const svg = renderDashboardSvg(
      dashboard(readiness),
      results(1, { labels: { pod: 'api-0' }, points: samples(1, 1, 1, 1, 1, 0, 0) }),
      { start: START, end: START + 600 },
    );
    const band = /<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="#464c54"\/>/.exec(
      svg,
    );
    const up = /<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="[\d.]+" fill="#73bf69"\/>/.exec(svg);
    const down = /<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="[\d.]+" fill="#f2495c"\/>/.exec(svg);
    if (!band || !up || !down) throw new Error(`missing a band in\n${svg}`);
    const [left, width] = [Number(band[1]), Number(band[3])];
    expect(Number(up[1])).toBeCloseTo(left, 1);
    expect(Number(up[2])).toBeCloseTo(width / 2, 1);
    expect(Number(down[1])).toBeCloseTo(left + width / 2, 1);
    expect(Number(down[2])).toBeCloseTo(width / 5, 1);
    expect(texts(svg)).toEqual(expect.arrayContaining(['ready api-0', 'up', 'down', 'no data']));
    expect(svg).not.toContain('<polyline');
  });

  test('draws a row as its title after a chevron that shows whether it is collapsed', () => {
    const row = (collapsed: boolean): DashboardRow => ({
      id: 100,
      type: 'row',
      title: 'Availability 99.9% over 30 days',
      collapsed,
      gridPos: { h: 1, w: 24, x: 0, y: 8 },
      panels: [],
    });
    const draw = (collapsed: boolean): string =>
      renderDashboardSvg(dashboard(requestRate, row(collapsed)), results(1), { start: START, end: END });
    const expanded = draw(false);
    expectWellFormed(expanded);
    expect(texts(expanded)).toContain('Availability 99.9% over 30 days');
    // A row is a header, not a panel: no background box and no "No data".
    expect(expanded.match(/fill="#181b1f"/g)).toHaveLength(1);
    expect(texts(expanded).filter((t) => t === 'No data')).toHaveLength(1);
    const chevron = (svg: string): number[] =>
      (/<polygon points="([^"]*)"/.exec(svg)?.[1] ?? '').split(/[ ,]/).map(Number);
    // Down: two points level at the top; right: two points level on the left.
    const [x1, y1, x2, y2] = chevron(expanded);
    expect([y1 === y2, x1 === x2]).toEqual([true, false]);
    const [cx1, , cx2, , cx3] = chevron(draw(true));
    expect(cx1).toBe(cx3);
    expect(cx2).toBeGreaterThan(cx1 ?? 0);
  });

  test("draws a stat as its series' last value in the colour of its threshold step", () => {
    const budget = panel({
      id: 1,
      title: 'Error budget left',
      type: 'stat',
      gridPos: { h: 8, w: 4, x: 0, y: 0 },
      fieldConfig: {
        defaults: {
          unit: 'percentunit',
          thresholds: {
            mode: 'absolute' as never,
            steps: [
              { value: null, color: 'red' },
              { value: 0.25, color: 'orange' },
              { value: 0.5, color: 'green' },
            ],
          },
        },
        overrides: [],
      },
    });
    const draw = (...values: number[]): string =>
      renderDashboardSvg(dashboard(budget), results(1, { labels: {}, points: samples(...values) }), {
        start: START,
        end: END,
      });
    const valueText = (svg: string) => /<text [^>]*fill="(#[0-9a-f]{6})"[^>]*>([^<]*%)<\/text>/.exec(svg);
    expect(valueText(draw(0.9, 0.8, NaN))?.slice(1)).toEqual(['#73bf69', '80%']);
    expect(valueText(draw(0.9, 0.3))?.slice(1)).toEqual(['#ff9830', '30%']);
    expect(valueText(draw(0.9, -0.2))?.slice(1)).toEqual(['#f2495c', '-20%']);
    const svg = draw(0.5);
    expectWellFormed(svg);
    expect(svg).not.toMatch(/<polyline|<circle/);
  });

  test('draws dashed threshold lines on a time series and stretches its axis to them', () => {
    const burn = panel({
      id: 1,
      title: 'Burn rate',
      fieldConfig: {
        defaults: {
          unit: 'none',
          min: 0,
          custom: { thresholdsStyle: { mode: 'dashed' } },
          thresholds: {
            mode: 'absolute' as never,
            steps: [
              { value: null, color: 'green' },
              { value: 6, color: 'red' },
              { value: 14.4, color: 'red' },
            ],
          },
        },
        overrides: [],
      },
    });
    const svg = renderDashboardSvg(
      dashboard(burn),
      results(1, { labels: { pod: 'a' }, points: samples(0.5, 1) }),
      {
        start: START,
        end: END,
      },
    );
    const dashed = [...svg.matchAll(/<line [^>]*stroke="(#[0-9a-f]{6})"[^>]*stroke-dasharray="6 4"\/>/g)];
    expect(dashed.map(([, colour]) => colour)).toEqual(['#f2495c', '#f2495c']);
    expect(Math.max(...texts(svg).map(Number).filter(Number.isFinite))).toBeGreaterThanOrEqual(14.4);
    // Without a threshold style, the steps only colour; no line is drawn.
    const plain = panel({
      ...burn,
      fieldConfig: { ...burn.fieldConfig, defaults: { ...burn.fieldConfig.defaults, custom: {} } },
    });
    const without = renderDashboardSvg(
      dashboard(plain),
      results(1, { labels: {}, points: samples(0.5, 1) }),
      {
        start: START,
        end: END,
      },
    );
    expect(without).not.toContain('stroke-dasharray');
  });

  test('rejects a range that ends before it starts', () => {
    expect(() => renderDashboardSvg(dashboard(), new Map(), { start: END, end: START })).toThrow(
      /`end` must be a finite number of unix seconds after `start`/,
    );
  });

  test('rejects a width too small for the margins', () => {
    expect(() => renderDashboardSvg(dashboard(), new Map(), { start: START, end: END, width: 0 })).toThrow(
      /`width` must be a number of pixels above 32 \(got 0\)/,
    );
  });

  test('renders the mcpenv dashboard with results for every panel', () => {
    const mcp = buildDashboard();
    const svg = renderDashboardSvg(mcp, syntheticResults(mcp), {
      start: START,
      end: END,
      caption: 'Synthetic data for the test',
    });
    expectWellFormed(svg);
    const shown = texts(svg);
    for (const p of mcp.panels) expect(shown).toContain(p.title);
    expect(shown).not.toContain('No data');
    expect(shown).toEqual(expect.arrayContaining(['p95 endpoint-0', 'tool_name-1 status-1']));
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  });

  test('renders the mcpenv dashboard with its SLO rows, stats and threshold lines', () => {
    const mcp = buildDashboard({
      probeSelector: { job: 'mcp-probe' },
      slo: { availability: { objective: 99.9 }, latency: { objective: 99, thresholdSeconds: 0.5 } },
    });
    const svg = renderDashboardSvg(mcp, syntheticResults(mcp), { start: START, end: END });
    expectWellFormed(svg);
    const shown = texts(svg);
    for (const entry of mcp.panels) expect(shown).toContain(entry.title);
    expect(shown).not.toContain('No data');
    expect(svg.match(/<g id="row-/g)).toHaveLength(2);
    expect(svg).toContain('stroke-dasharray');
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  });
});
