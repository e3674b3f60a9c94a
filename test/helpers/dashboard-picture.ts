/**
 * Draws a Grafana dashboard as an SVG picture from what Prometheus answered for its panels, so
 * the README can show the dashboard without a browser or a Grafana. It follows Grafana's dark
 * theme and 24-column grid, and draws rows (their title; a collapsed row hides its panels, as in
 * Grafana), time series (with their threshold lines), state timelines and stats (the last value
 * in its threshold colour). It is deterministic: no clock, no locale, and coordinates rounded,
 * so the same dashboard, results and options always give the same bytes.
 */
import {
  type DashboardPanel,
  type DashboardRow,
  type GrafanaDashboard,
  isDashboardRow,
} from '../../constructs/monitoring/dashboard';
import { invalidProp } from '../../constructs/errors';

/** One series of a range query: its labels and its [unix seconds, value] samples. */
export interface SeriesData {
  readonly labels: Readonly<Record<string, string>>;
  readonly points: readonly (readonly [unixSeconds: number, value: number])[];
}

/** What Prometheus's /api/v1/query_range returned for each target, by panel id then refId. */
export type PanelResults = ReadonlyMap<number, ReadonlyMap<string, readonly SeriesData[]>>;

export interface PictureOptions {
  /** First instant on the time axis, in unix seconds. */
  readonly start: number;
  /** Last instant on the time axis, in unix seconds. */
  readonly end: number;
  /**
   * Width of the picture in pixels; Grafana's 24 grid columns share it.
   * @default 1200
   */
  readonly width?: number;
  /**
   * A line of small text under the dashboard title, such as where the data came from.
   * @default - no caption
   */
  readonly caption?: string;
}

const WHERE = 'renderDashboardSvg';
const THEME = {
  background: '#111217',
  panel: '#181b1f',
  text: '#ccccdc',
  mutedText: '#8e8e9a',
  grid: '#2c3235',
  noData: '#464c54',
  up: '#73bf69',
  down: '#f2495c',
  onState: '#111217',
} as const;
/** Grafana's named colours that thresholds use, in its dark theme. */
const NAMED_COLORS: Readonly<Record<string, string>> = {
  green: '#73bf69',
  red: '#f2495c',
  orange: '#ff9830',
  yellow: '#fade2a',
  blue: '#5794f2',
  purple: '#b877d9',
};
/** Grafana's classic palette, in the order it gives series their colours. */
const PALETTE = [
  '#73bf69',
  '#f2cc0c',
  '#8ab8ff',
  '#ff780a',
  '#f2495c',
  '#5794f2',
  '#b877d9',
  '#705da0',
  '#37872d',
  '#fade2a',
] as const;
const FONT_FAMILY = 'Inter, Helvetica, Arial, sans-serif';
/** Average glyph width in ems, a little wide so that estimated text never overflows its box. */
const GLYPH_WIDTH_EM = 0.6;
const DEFAULT_WIDTH = 1200;
const GRID_COLUMNS = 24;
const GRID_ROW_HEIGHT = 30;
const GAP = 8;
const MARGIN = 16;
const PADDING = 8;
const TITLE_SIZE = 18;
const CAPTION_SIZE = 12;
const PANEL_TITLE_SIZE = 13;
const PANEL_BODY_OFFSET = 30;
const TICK_SIZE = 10;
const X_AXIS_HEIGHT = 16;
const LEGEND_SIZE = 11;
const LEGEND_ROW_HEIGHT = 16;
const LEGEND_MAX_ROWS = 3;
const SWATCH_WIDTH = 14;
const NO_DATA_SIZE = 14;
const ROW_TITLE_SIZE = 14;
const STAT_MAX_SIZE = 48;
/** Nice steps are these multiples of a power of ten; each is at most twice the one before. */
const NICE_FACTORS = [1, 2, 2.5, 5, 10, 20] as const;
/** Time-axis steps in seconds, each at most 2.5 times the one before, so 3 to 5 ticks fit. */
const TIME_STEPS = [
  1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 345600,
  604800,
] as const;
const DAY_SECONDS = 86400;

type Point = readonly [unixSeconds: number, value: number];

interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** A series as the panel draws it: a display name, a colour, and its samples in time order. */
interface DrawnSeries {
  readonly name: string;
  readonly color: string;
  readonly points: readonly Point[];
}

interface LegendEntry {
  readonly color: string;
  readonly text: string;
}

interface TimeAxis {
  readonly start: number;
  readonly end: number;
}

/** Grafana-style legend: `{{label}}` replaced by the series' label value (missing label -> empty string), trimmed; an empty legendFormat gives the series' labels as {a="b"}. */
export function formatLegend(legendFormat: string, labels: Readonly<Record<string, string>>): string {
  if (legendFormat.trim() === '') return labelSet(labels);
  return legendFormat
    .replace(/\{\{\s*([^{}\s]+)\s*\}\}/g, (_match, name: string) =>
      Object.hasOwn(labels, name) ? labels[name] : '',
    )
    .trim();
}

/** Formats a value in a Grafana unit for axis ticks, e.g. 0.25 'percentunit' -> '25%', 0.0123 's' -> '12.3 ms', 1536 'bytes' -> '1.5 KiB', 12.5 'reqps' -> '12.5 req/s', 3 'ops' -> '3 ops/s'. */
export function formatUnit(value: number, unit: string): string {
  if (!Number.isFinite(value)) return String(value);
  switch (unit) {
    case 'percentunit':
      return `${formatNumber(value * 100)}%`;
    case 's':
      return formatSeconds(value);
    case 'bytes':
      return scaled(value, 1024, [' B', ' KiB', ' MiB', ' GiB', ' TiB', ' PiB']);
    case 'reqps':
      return `${scaled(value, 1000, ['', 'K', 'M', 'B', 'T'])} req/s`;
    case 'ops':
      return `${scaled(value, 1000, ['', 'K', 'M', 'B', 'T'])} ops/s`;
    case 'short':
      return scaled(value, 1000, ['', ' K', ' Mil', ' Bil', ' Tri']);
    case 'none':
    case '':
      return formatNumber(value);
    default:
      return `${formatNumber(value)} ${unit}`;
  }
}

/** Draws the dashboard's panels, laid out by their gridPos, with the given query results. */
export function renderDashboardSvg(
  dashboard: GrafanaDashboard,
  results: PanelResults,
  options: PictureOptions,
): string {
  const { start, end } = options;
  const width = options.width ?? DEFAULT_WIDTH;
  if (!Number.isFinite(start)) throw invalidProp(WHERE, 'start', 'be a finite number of unix seconds', start);
  if (!Number.isFinite(end) || end <= start) {
    throw invalidProp(WHERE, 'end', `be a finite number of unix seconds after \`start\` (${start})`, end);
  }
  if (!Number.isFinite(width) || width <= 2 * MARGIN) {
    throw invalidProp(WHERE, 'width', `be a number of pixels above ${2 * MARGIN}`, width);
  }

  const caption = options.caption ?? '';
  const titleBaseline = MARGIN + TITLE_SIZE - 2;
  const captionBaseline = titleBaseline + CAPTION_SIZE + 8;
  const headerHeight = (caption === '' ? titleBaseline : captionBaseline) + 14;
  const columnWidth = (width - 2 * MARGIN + GAP) / GRID_COLUMNS;
  const gridRows = dashboard.panels.reduce((rows, p) => Math.max(rows, p.gridPos.y + p.gridPos.h), 0);
  const height = headerHeight + Math.max(0, gridRows * GRID_ROW_HEIGHT - GAP) + MARGIN;
  const time: TimeAxis = { start, end };

  const lines = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${num(width)}" height="${num(height)}" ` +
      `viewBox="0 0 ${num(width)} ${num(height)}" font-family="${FONT_FAMILY}">`,
    `<title>${escapeXml(dashboard.title)}</title>`,
    rect({ x: 0, y: 0, width, height }, THEME.background),
    text(fit(dashboard.title, width - 2 * MARGIN, TITLE_SIZE), MARGIN, titleBaseline, {
      size: TITLE_SIZE,
      weight: 500,
    }),
  ];
  if (caption !== '') {
    lines.push(
      text(fit(caption, width - 2 * MARGIN, CAPTION_SIZE), MARGIN, captionBaseline, {
        size: CAPTION_SIZE,
        fill: THEME.mutedText,
      }),
    );
  }
  dashboard.panels.forEach((entry, index) => {
    const box: Box = {
      x: MARGIN + entry.gridPos.x * columnWidth,
      y: headerHeight + entry.gridPos.y * GRID_ROW_HEIGHT,
      width: Math.max(1, entry.gridPos.w * columnWidth - GAP),
      height: Math.max(1, entry.gridPos.h * GRID_ROW_HEIGHT - GAP),
    };
    lines.push(
      ...(isDashboardRow(entry)
        ? renderRow(entry, index, box)
        : renderPanel(entry, index, panelSeries(entry, results, time), box, time)),
    );
  });
  lines.push('</svg>');
  return `${lines.join('\n')}\n`;
}

/**
 * A row: its title after a chevron, pointing down when expanded and right when collapsed (its
 * panels are then hidden, as Grafana hides them).
 */
function renderRow(row: DashboardRow, index: number, box: Box): string[] {
  const middle = box.y + box.height / 2;
  const chevron = row.collapsed
    ? `${num(box.x + 2)},${num(middle - 5)} ${num(box.x + 8)},${num(middle)} ${num(box.x + 2)},${num(middle + 5)}`
    : `${num(box.x)},${num(middle - 3)} ${num(box.x + 10)},${num(middle - 3)} ${num(box.x + 5)},${num(middle + 3)}`;
  return [
    `<g id="row-${index}">`,
    `<polygon points="${chevron}" fill="${THEME.text}"/>`,
    text(fit(row.title, box.width - 16, ROW_TITLE_SIZE), box.x + 16, middle + ROW_TITLE_SIZE / 3, {
      size: ROW_TITLE_SIZE,
      weight: 500,
    }),
    '</g>',
  ];
}

function renderPanel(
  panel: DashboardPanel,
  index: number,
  series: readonly DrawnSeries[],
  box: Box,
  time: TimeAxis,
): string[] {
  const lines = [
    `<g id="panel-${index}">`,
    `<rect x="${num(box.x)}" y="${num(box.y)}" width="${num(box.width)}" height="${num(box.height)}" ` +
      `rx="2" fill="${THEME.panel}" stroke="${THEME.grid}"/>`,
    text(fit(panel.title, box.width - 2 * PADDING, PANEL_TITLE_SIZE), box.x + PADDING, box.y + 20, {
      size: PANEL_TITLE_SIZE,
      weight: 500,
    }),
  ];
  if (series.length === 0) {
    const bodyTop = box.y + PANEL_BODY_OFFSET;
    lines.push(
      text('No data', box.x + box.width / 2, (bodyTop + box.y + box.height) / 2 + NO_DATA_SIZE / 3, {
        size: NO_DATA_SIZE,
        fill: THEME.mutedText,
        anchor: 'middle',
      }),
    );
  } else if (panel.type === 'state-timeline') {
    lines.push(...renderStateTimeline(panel, series, box, time));
  } else if (panel.type === 'stat') {
    lines.push(...renderStat(panel, series, box));
  } else {
    lines.push(...renderTimeseries(panel, index, series, box, time));
  }
  lines.push('</g>');
  return lines;
}

function renderTimeseries(
  panel: DashboardPanel,
  index: number,
  series: readonly DrawnSeries[],
  box: Box,
  time: TimeAxis,
): string[] {
  const unit = panelUnit(panel);
  const thresholdLines = drawnThresholds(panel);
  const values = [
    ...series.flatMap((s) => s.points.map(([, value]) => value)),
    // The lines are drawn against the data, so the axis reaches them.
    ...thresholdLines.map((step) => step.value),
  ].filter(Number.isFinite);
  const fieldMin = panel.fieldConfig.defaults.min;
  const fieldMax = panel.fieldConfig.defaults.max;
  // A panel whose series have no finite value still gets an axis: from the minimum, or 0, up one unit.
  const dataLow = values.reduce((a, b) => Math.min(a, b), Infinity);
  const dataHigh = values.reduce((a, b) => Math.max(a, b), -Infinity);
  const low = typeof fieldMin === 'number' ? fieldMin : Number.isFinite(dataLow) ? dataLow : 0;
  const high = typeof fieldMax === 'number' ? fieldMax : Number.isFinite(dataHigh) ? dataHigh : low;
  const ticks = niceTicks(low, high, tickScale(unit, Math.max(Math.abs(low), Math.abs(high))));
  const bottomTick = ticks[0];
  const topTick = ticks[ticks.length - 1];
  const tickLabels = ticks.map((tick) => formatUnit(tick, unit));
  const labelWidth = tickLabels.reduce((w, label) => Math.max(w, textWidth(label, TICK_SIZE)), 0);

  const legend = layoutLegend(
    series.map((s) => ({ color: s.color, text: s.name })),
    box,
  );
  const plot = plotArea(box, labelWidth + 6, legend.rows);
  const x = (t: number): number => plot.x + ((t - time.start) / (time.end - time.start)) * plot.width;
  const y = (v: number): number =>
    plot.y + plot.height - ((v - bottomTick) / (topTick - bottomTick)) * plot.height;

  const lines = [...timeGrid(plot, time)];
  ticks.forEach((tick, i) => {
    const tickY = y(tick);
    lines.push(line(plot.x, tickY, plot.x + plot.width, tickY));
    lines.push(
      text(tickLabels[i], plot.x - 6, tickY + TICK_SIZE / 3, {
        size: TICK_SIZE,
        fill: THEME.mutedText,
        anchor: 'end',
      }),
    );
  });
  const clipId = `panel-${index}-plot`;
  lines.push(
    `<clipPath id="${clipId}">${rect({ x: plot.x, y: plot.y - 1, width: plot.width, height: plot.height + 2 }, '#000')}</clipPath>`,
    `<g clip-path="url(#${clipId})">`,
  );
  for (const step of thresholdLines) {
    const lineY = y(step.value);
    lines.push(
      `<line x1="${num(plot.x)}" y1="${num(lineY)}" x2="${num(plot.x + plot.width)}" y2="${num(lineY)}" ` +
        `stroke="${step.color}" stroke-width="1"${step.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
  }
  for (const s of series) {
    for (const run of finiteRuns(s.points)) {
      const coordinates = run.map(([t, v]) => `${num(x(t))},${num(y(v))}`);
      if (coordinates.length === 1) {
        const [t, v] = run[0];
        lines.push(`<circle cx="${num(x(t))}" cy="${num(y(v))}" r="1.5" fill="${s.color}"/>`);
      } else {
        lines.push(
          `<polyline points="${coordinates.join(' ')}" fill="none" stroke="${s.color}" ` +
            'stroke-width="1.5" stroke-linejoin="round" stroke-linecap="round"/>',
        );
      }
    }
  }
  lines.push('</g>', ...legend.lines);
  return lines;
}

function renderStateTimeline(
  panel: DashboardPanel,
  series: readonly DrawnSeries[],
  box: Box,
  time: TimeAxis,
): string[] {
  const unit = panelUnit(panel);
  const legend = layoutLegend(
    [
      { color: THEME.up, text: 'up' },
      { color: THEME.down, text: 'down' },
      { color: THEME.noData, text: 'no data' },
    ],
    box,
  );
  const provisional = plotArea(box, 0, legend.rows);
  const pitch = provisional.height / series.length;
  const labelSize = Math.max(7, Math.min(LEGEND_SIZE, Math.floor(pitch * 0.7)));
  const widestName = series.reduce((w, s) => Math.max(w, textWidth(s.name, labelSize)), 0);
  const labelWidth = Math.min(widestName, (box.width - 2 * PADDING) * 0.4);
  const plot = plotArea(box, labelWidth + 8, legend.rows);
  const x = (t: number): number => plot.x + ((t - time.start) / (time.end - time.start)) * plot.width;

  const lines = [...timeGrid(plot, time)];
  series.forEach((s, row) => {
    const bandTop = plot.y + row * pitch + pitch * 0.1;
    const bandHeight = pitch * 0.8;
    const middle = bandTop + bandHeight / 2;
    lines.push(
      text(fit(s.name, labelWidth, labelSize), box.x + PADDING, middle + labelSize / 3, {
        size: labelSize,
      }),
      rect({ x: plot.x, y: bandTop, width: plot.width, height: bandHeight }, THEME.noData),
    );
    for (const run of stateRuns(s.points, time)) {
      const left = x(run.from);
      const runWidth = x(run.to) - left;
      const label = run.value === 1 ? 'up' : run.value === 0 ? 'down' : formatUnit(run.value, unit);
      lines.push(
        rect(
          { x: left, y: bandTop, width: runWidth, height: bandHeight },
          run.value >= 1 ? THEME.up : THEME.down,
        ),
      );
      if (textWidth(label, labelSize) + 4 <= runWidth) {
        lines.push(
          text(label, left + runWidth / 2, middle + labelSize / 3, {
            size: labelSize,
            fill: THEME.onState,
            anchor: 'middle',
          }),
        );
      }
    }
  });
  lines.push(...legend.lines);
  return lines;
}

/**
 * A stat: each series' last finite value, large, side by side, coloured by the panel's thresholds,
 * with the series' name under it when there are several.
 */
function renderStat(panel: DashboardPanel, series: readonly DrawnSeries[], box: Box): string[] {
  const unit = panelUnit(panel);
  const bodyTop = box.y + PANEL_BODY_OFFSET;
  const bodyHeight = box.y + box.height - PADDING - bodyTop;
  const cellWidth = (box.width - 2 * PADDING) / series.length;
  const lines: string[] = [];
  series.forEach((s, index) => {
    const last = [...s.points].reverse().find(([, value]) => Number.isFinite(value));
    const label = last ? formatUnit(last[1], unit) : 'No data';
    const color = last ? thresholdColor(panel, last[1]) : THEME.mutedText;
    const size = Math.max(
      NO_DATA_SIZE,
      Math.min(
        STAT_MAX_SIZE,
        bodyHeight * 0.5,
        (cellWidth - 8) / (Array.from(label).length * GLYPH_WIDTH_EM),
      ),
    );
    const centre = box.x + PADDING + cellWidth * (index + 0.5);
    const baseline = bodyTop + bodyHeight / 2 + size / 3;
    lines.push(text(label, centre, baseline, { size, fill: color, anchor: 'middle', weight: 500 }));
    if (series.length > 1) {
      lines.push(
        text(fit(s.name, cellWidth - 8, LEGEND_SIZE), centre, baseline + LEGEND_SIZE + 6, {
          size: LEGEND_SIZE,
          fill: THEME.mutedText,
          anchor: 'middle',
        }),
      );
    }
  });
  return lines;
}

/** The panel's threshold steps as lines: every step but the base, when the panel shows them. */
function drawnThresholds(panel: DashboardPanel): { value: number; color: string; dashed: boolean }[] {
  const mode: unknown = panel.fieldConfig.defaults.custom?.thresholdsStyle?.mode;
  if (mode !== 'line' && mode !== 'dashed' && mode !== 'line+area' && mode !== 'dashed+area') return [];
  return (panel.fieldConfig.defaults.thresholds?.steps ?? []).flatMap((step) =>
    typeof step.value === 'number' && Number.isFinite(step.value)
      ? [{ value: step.value, color: colorOf(step.color), dashed: mode.startsWith('dashed') }]
      : [],
  );
}

/** The colour of the highest threshold step at or below `value` (the base step below them all). */
function thresholdColor(panel: DashboardPanel, value: number): string {
  let color: string = THEME.text;
  for (const step of panel.fieldConfig.defaults.thresholds?.steps ?? []) {
    if (step.value === null || value >= step.value) color = colorOf(step.color);
  }
  return color;
}

/** A Grafana colour, by name or as written (`#rrggbb`). */
function colorOf(color: string): string {
  return NAMED_COLORS[color] ?? (/^#[0-9a-fA-F]{3,8}$/.test(color) ? color : THEME.text);
}

/** The area left for the plot once the title, the axis labels and the legend have their room. */
function plotArea(box: Box, leftLabelWidth: number, legendRows: number): Box {
  const top = box.y + PANEL_BODY_OFFSET + 6;
  const legendHeight = legendRows > 0 ? legendRows * LEGEND_ROW_HEIGHT + 2 : 0;
  const bottom = Math.max(top + 1, box.y + box.height - PADDING - legendHeight - X_AXIS_HEIGHT);
  const left = box.x + PADDING + leftLabelWidth;
  const right = Math.max(left + 1, box.x + box.width - PADDING - 4);
  return { x: left, y: top, width: right - left, height: bottom - top };
}

/** Vertical grid lines and their UTC time labels under the plot. */
function timeGrid(plot: Box, time: TimeAxis): string[] {
  const lines: string[] = [];
  for (const tick of timeTicks(time.start, time.end)) {
    const tickX = plot.x + ((tick - time.start) / (time.end - time.start)) * plot.width;
    lines.push(
      line(tickX, plot.y, tickX, plot.y + plot.height),
      text(utcTime(tick), tickX, plot.y + plot.height + 12, {
        size: TICK_SIZE,
        fill: THEME.mutedText,
        anchor: 'middle',
      }),
    );
  }
  return lines;
}

/**
 * Flows legend entries into rows at the bottom of the panel, at most LEGEND_MAX_ROWS of them;
 * entries that do not fit are counted in a final "+N more".
 */
function layoutLegend(entries: readonly LegendEntry[], box: Box): { rows: number; lines: string[] } {
  const innerWidth = box.width - 2 * PADDING;
  const entryWidth = (label: string): number => SWATCH_WIDTH + 6 + textWidth(label, LEGEND_SIZE) + 14;
  const placed: { entry: LegendEntry; label: string; row: number; offset: number }[] = [];
  let row = 0;
  let offset = 0;
  for (const entry of entries) {
    const label = fit(entry.text, innerWidth - SWATCH_WIDTH - 6, LEGEND_SIZE);
    const width = entryWidth(label);
    if (offset > 0 && offset + width > innerWidth) {
      row += 1;
      offset = 0;
    }
    if (row >= LEGEND_MAX_ROWS) break;
    placed.push({ entry, label, row, offset });
    offset += width;
  }
  const more = (): string => `+${entries.length - placed.length} more`;
  if (placed.length < entries.length) {
    // Make room on the last row for the count of what was left out.
    while (placed.length > 0) {
      const last = placed[placed.length - 1];
      const lastEnd = last.offset + entryWidth(last.label);
      if (last.row < LEGEND_MAX_ROWS - 1 || lastEnd + textWidth(more(), LEGEND_SIZE) <= innerWidth) break;
      placed.pop();
    }
  }
  const rows = entries.length === 0 ? 0 : Math.min(LEGEND_MAX_ROWS, row + 1);
  const legendTop = box.y + box.height - PADDING - rows * LEGEND_ROW_HEIGHT;
  const left = box.x + PADDING;
  const lines: string[] = [];
  for (const { entry, label, row: r, offset: o } of placed) {
    const rowTop = legendTop + r * LEGEND_ROW_HEIGHT;
    lines.push(
      `<rect x="${num(left + o)}" y="${num(rowTop + 6)}" width="${SWATCH_WIDTH}" height="4" rx="1" fill="${entry.color}"/>`,
      text(label, left + o + SWATCH_WIDTH + 6, rowTop + 12, { size: LEGEND_SIZE }),
    );
  }
  if (placed.length < entries.length) {
    const last = placed[placed.length - 1];
    const moreOffset = last ? last.offset + entryWidth(last.label) : 0;
    const moreRow = last ? last.row : 0;
    lines.push(
      text(more(), left + moreOffset, legendTop + moreRow * LEGEND_ROW_HEIGHT + 12, {
        size: LEGEND_SIZE,
        fill: THEME.mutedText,
      }),
    );
  }
  return { rows, lines };
}

/** The panel's series in target order, each named by its legend and coloured from the palette. */
function panelSeries(panel: DashboardPanel, results: PanelResults, time: TimeAxis): DrawnSeries[] {
  const byRefId = results.get(panel.id);
  const drawn: DrawnSeries[] = [];
  for (const target of panel.targets) {
    for (const series of byRefId?.get(target.refId) ?? []) {
      const points = series.points
        .filter(([t]) => Number.isFinite(t) && t >= time.start && t <= time.end)
        .sort((a, b) => a[0] - b[0]);
      drawn.push({
        name: formatLegend(target.legendFormat, series.labels) || labelSet(series.labels),
        color: PALETTE[drawn.length % PALETTE.length],
        points,
      });
    }
  }
  return drawn;
}

/** Runs of consecutive finite samples: a NaN or infinite value is a gap in the line. */
function finiteRuns(points: readonly Point[]): Point[][] {
  const runs: Point[][] = [];
  let current: Point[] = [];
  for (const point of points) {
    if (Number.isFinite(point[1])) {
      current.push(point);
    } else if (current.length > 0) {
      runs.push(current);
      current = [];
    }
  }
  if (current.length > 0) runs.push(current);
  return runs;
}

/**
 * Spans of time with one value. A sample holds until the next one, but for no longer than the
 * series' step (its shortest gap between samples): Prometheus leaves out steps without data,
 * and those show as no data.
 */
function stateRuns(points: readonly Point[], time: TimeAxis): { from: number; to: number; value: number }[] {
  let step = Infinity;
  for (let i = 1; i < points.length; i++) {
    const gap = points[i][0] - points[i - 1][0];
    if (gap > 0) step = Math.min(step, gap);
  }
  const runs: { from: number; to: number; value: number }[] = [];
  points.forEach(([t, value], i) => {
    if (!Number.isFinite(value)) return;
    const next = i + 1 < points.length ? points[i + 1][0] : time.end;
    const to = Math.min(next, t + step, time.end);
    if (to <= t) return;
    const last = runs[runs.length - 1];
    if (last && last.to === t && last.value === value) {
      last.to = to;
    } else {
      runs.push({ from: t, to, value });
    }
  });
  return runs;
}

/**
 * 4 or 5 evenly spaced values from at most `low` to at least `high`, round once divided by
 * `scale`, the unit's step on the axis (1024 for bytes, 60 for minutes).
 */
function niceTicks(low: number, high: number, scale: number): number[] {
  const bottom = low / scale;
  const top = high > low ? high / scale : bottom + (Math.abs(bottom) || 1);
  const magnitude = 10 ** Math.floor(Math.log10((top - bottom) / 4));
  const bounds = (factor: number): [number, number] => {
    const step = factor * magnitude;
    return [Math.floor(bottom / step + 1e-9), Math.ceil(top / step - 1e-9)];
  };
  const factor = NICE_FACTORS.find((f) => bounds(f)[1] - bounds(f)[0] <= 4) ?? 20;
  const [first, last] = bounds(factor);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(Number((i * factor * magnitude).toPrecision(12)) * scale);
  return ticks;
}

/** The scale formatUnit writes a value of this size in, where it is not a power of ten. */
function tickScale(unit: string, size: number): number {
  if (unit === 'bytes' && size >= 1024)
    return 1024 ** Math.min(5, Math.floor(Math.log(size) / Math.log(1024)));
  if (unit === 's' && size >= DAY_SECONDS) return DAY_SECONDS;
  if (unit === 's' && size >= 3600) return 3600;
  if (unit === 's' && size >= 60) return 60;
  return 1;
}

/** 3 to 5 round instants between start and end, for the time axis. */
function timeTicks(start: number, end: number): number[] {
  const count = (step: number): number => Math.floor(end / step) - Math.ceil(start / step) + 1;
  const step =
    TIME_STEPS.find((s) => count(s) >= 3 && count(s) <= 5) ??
    TIME_STEPS.find((s) => count(s) <= 5) ??
    Math.ceil((end - start) / 4 / DAY_SECONDS) * DAY_SECONDS;
  const ticks: number[] = [];
  for (let i = Math.ceil(start / step); i * step <= end; i++) ticks.push(i * step);
  return ticks;
}

/** HH:MM:SS in UTC, from the instant alone, never the local time zone. */
function utcTime(unixSeconds: number): string {
  return new Date(Math.round(unixSeconds) * 1000).toISOString().slice(11, 19);
}

function formatSeconds(value: number): string {
  const size = Math.abs(value);
  if (size === 0) return '0 s';
  if (size < 1e-6) return `${formatNumber(value * 1e9)} ns`;
  if (size < 1e-3) return `${formatNumber(value * 1e6)} µs`;
  if (size < 1) return `${formatNumber(value * 1e3)} ms`;
  if (size < 60) return `${formatNumber(value)} s`;
  if (size < 3600) return `${formatNumber(value / 60)} min`;
  if (size < DAY_SECONDS) return `${formatNumber(value / 3600)} h`;
  return `${formatNumber(value / DAY_SECONDS)} d`;
}

/** Divides by `base` while the value is that large, and names the scale with a symbol. */
function scaled(value: number, base: number, symbols: readonly string[]): string {
  let index = 0;
  let rest = value;
  while (Math.abs(rest) >= base && index < symbols.length - 1) {
    rest /= base;
    index += 1;
  }
  return `${formatNumber(rest)}${symbols[index]}`;
}

/** Three significant digits without trailing zeros, or the whole number when it is larger. */
function formatNumber(value: number): string {
  if (value === 0) return '0';
  const decimals = Math.min(6, Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value)))));
  const fixed = value.toFixed(decimals);
  const trimmed = decimals > 0 ? fixed.replace(/\.?0+$/, '') : fixed;
  return trimmed === '-0' ? '0' : trimmed;
}

/** Labels as Prometheus writes a series: `name{a="b", c="d"}`, keys sorted. */
function labelSet(labels: Readonly<Record<string, string>>): string {
  const name = Object.hasOwn(labels, '__name__') ? labels.__name__ : '';
  const pairs = Object.keys(labels)
    .filter((key) => key !== '__name__')
    .sort()
    .map((key) => `${key}=${JSON.stringify(labels[key])}`);
  return pairs.length === 0 && name !== '' ? name : `${name}{${pairs.join(', ')}}`;
}

function panelUnit(panel: DashboardPanel): string {
  const unit = panel.fieldConfig.defaults.unit;
  return typeof unit === 'string' ? unit : 'none';
}

/** Estimated width of text in pixels; there are no font metrics without a browser. */
function textWidth(content: string, size: number): number {
  return Array.from(content).length * size * GLYPH_WIDTH_EM;
}

/** The text, cut with an ellipsis so that its estimated width fits `maxWidth`. */
function fit(content: string, maxWidth: number, size: number): string {
  const characters = Array.from(content);
  const room = Math.floor(maxWidth / (size * GLYPH_WIDTH_EM));
  if (characters.length <= room) return content;
  if (room < 1) return '';
  return `${characters
    .slice(0, room - 1)
    .join('')
    .trimEnd()}…`;
}

function text(
  content: string,
  x: number,
  y: number,
  style: { size: number; fill?: string; anchor?: 'middle' | 'end'; weight?: number },
): string {
  const anchor = style.anchor ? ` text-anchor="${style.anchor}"` : '';
  const weight = style.weight ? ` font-weight="${style.weight}"` : '';
  return (
    `<text x="${num(x)}" y="${num(y)}" font-size="${style.size}" fill="${style.fill ?? THEME.text}"` +
    `${anchor}${weight}>${escapeXml(content)}</text>`
  );
}

function rect(box: Box, fill: string): string {
  return `<rect x="${num(box.x)}" y="${num(box.y)}" width="${num(box.width)}" height="${num(box.height)}" fill="${fill}"/>`;
}

function line(x1: number, y1: number, x2: number, y2: number): string {
  return `<line x1="${num(x1)}" y1="${num(y1)}" x2="${num(x2)}" y2="${num(y2)}" stroke="${THEME.grid}" stroke-width="1"/>`;
}

/** A coordinate rounded to two decimals, written without trailing zeros or a negative zero. */
function num(value: number): string {
  const rounded = Math.round(value * 100) / 100;
  return String(rounded === 0 ? 0 : rounded);
}

/** Text safe inside an element or an attribute; characters XML forbids are dropped. */
function escapeXml(content: string): string {
  return Array.from(content)
    .filter(allowedInXml)
    .join('')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** XML 1.0 allows tab, newline and carriage return among the control characters, and no lone surrogate. */
function allowedInXml(character: string): boolean {
  const code = character.codePointAt(0) ?? 0;
  if (code < 0x20) return code === 0x09 || code === 0x0a || code === 0x0d;
  return !(code >= 0xd800 && code <= 0xdfff) && code !== 0xfffe && code !== 0xffff;
}
