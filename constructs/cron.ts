/**
 * Five-field cron schedules as a Kubernetes CronJob reads them (the standard parser of
 * robfig/cron, which the CronJob controller uses): minute, hour, day of month, month, day of week;
 * each field a comma list of `*`, `?`, a value, a range `a-b`, each optionally with a `/step`, and
 * `a/step` meaning `a-<max>/step`; months and days of week may be names (`jan`, `mon`). When both
 * day fields are restricted a day matches either one; when one is `*` (or `?`) it must match both.
 *
 * The gaps between runs are computed over one whole Gregorian cycle of 400 years (146097 days,
 * a whole number of weeks), after which every UTC schedule repeats exactly, so the longest gap of
 * a schedule such as `0 0 29 2 *` (eight years across 2100) is found too.
 */

/** A parsed schedule: the values each field allows. */
export interface CronSchedule {
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly daysOfWeek: ReadonlySet<number>;
  /** The day-of-month field was `*` or `?`. */
  readonly anyDayOfMonth: boolean;
  /** The day-of-week field was `*` or `?`. */
  readonly anyDayOfWeek: boolean;
}

interface FieldRange {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const FIELDS: readonly FieldRange[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
  },
  { name: 'day of week', min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

/** Thrown for a schedule the CronJob controller would refuse; the message says which field and why. */
export class CronSyntaxError extends Error {}

function valueOf(text: string, field: FieldRange): number {
  const named = field.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named >= 0) return field.min + named;
  if (!/^\d{1,2}$/.test(text)) {
    const names = field.names ? ` or a name such as "${field.names[1]}"` : '';
    throw new CronSyntaxError(`the ${field.name} field has "${text}", which is not a number${names}`);
  }
  const value = Number(text);
  if (value < field.min || value > field.max) {
    throw new CronSyntaxError(
      `the ${field.name} field has ${value}, outside ${field.min}-${field.max}` +
        (field.name === 'day of week' ? ' (Sunday is 0)' : ''),
    );
  }
  return value;
}

/** One field's values, and whether it was written as "any". */
function parseField(text: string, field: FieldRange): { values: Set<number>; any: boolean } {
  const values = new Set<number>();
  let any = false;
  for (const part of text.split(',')) {
    const [range = '', stepText, extra] = part.split('/');
    if (extra !== undefined || range === '') {
      throw new CronSyntaxError(`the ${field.name} field has "${part}", which is not a value, range or step`);
    }
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d{1,2}$/.test(stepText) || Number(stepText) === 0) {
        throw new CronSyntaxError(
          `the ${field.name} field has the step "${stepText}": write a number from 1`,
        );
      }
      step = Number(stepText);
    }
    let low: number;
    let high: number;
    if (range === '*' || range === '?') {
      [low, high] = [field.min, field.max];
      if (step === 1) any = true;
    } else if (range.includes('-')) {
      const [from = '', to = '', more] = range.split('-');
      if (more !== undefined) throw new CronSyntaxError(`the ${field.name} field has the range "${range}"`);
      [low, high] = [valueOf(from, field), valueOf(to, field)];
      if (low > high) {
        throw new CronSyntaxError(`the ${field.name} field has the range "${range}", which runs backwards`);
      }
    } else {
      low = valueOf(range, field);
      high = stepText !== undefined ? field.max : low;
    }
    for (let value = low; value <= high; value += step) values.add(value);
  }
  return { values, any };
}

/** Parses a five-field schedule; throws a `CronSyntaxError` that names the field at fault. */
export function parseCronSchedule(expression: string): CronSchedule {
  const text = expression.trim();
  if (text.startsWith('@')) {
    throw new CronSyntaxError(`"${text}" is a descriptor: write it as five fields, such as "0 3 * * *"`);
  }
  const parts = text.split(/\s+/);
  if (parts.length !== 5) {
    throw new CronSyntaxError(
      `it has ${parts.length} field${parts.length === 1 ? '' : 's'}: write five (minute hour day-of-month month day-of-week)`,
    );
  }
  const fields = parts.map((part, index) => parseField(part, FIELDS[index] as FieldRange));
  const field = (index: number) => fields[index] as ReturnType<typeof parseField>;
  const sorted = (values: Set<number>) => [...values].sort((a, b) => a - b);
  return {
    minutes: sorted(field(0).values),
    hours: sorted(field(1).values),
    daysOfMonth: field(2).values,
    months: field(3).values,
    daysOfWeek: field(4).values,
    anyDayOfMonth: field(2).any,
    anyDayOfWeek: field(4).any,
  };
}

const DAY_MS = 86_400_000;
/** Days in 400 Gregorian years: a whole number of weeks, so calendars and weekdays repeat. */
const CYCLE_DAYS = 146_097;
const CYCLE_START = Date.UTC(2000, 0, 1);

function runsOn(schedule: CronSchedule, date: Date): boolean {
  if (!schedule.months.has(date.getUTCMonth() + 1)) return false;
  const dayOfMonth = schedule.daysOfMonth.has(date.getUTCDate());
  const dayOfWeek = schedule.daysOfWeek.has(date.getUTCDay());
  return schedule.anyDayOfMonth || schedule.anyDayOfWeek ? dayOfMonth && dayOfWeek : dayOfMonth || dayOfWeek;
}

/** The shortest and the longest time between two consecutive runs of a schedule, in seconds. */
export interface CronGaps {
  readonly shortestSeconds: number;
  readonly longestSeconds: number;
}

/**
 * The shortest and longest gaps between consecutive runs of a five-field schedule in UTC. Throws
 * a `CronSyntaxError` for a schedule that is not valid or never runs (such as `0 0 30 2 *`).
 */
export function cronGaps(expression: string): CronGaps {
  const schedule = parseCronSchedule(expression);
  const times = schedule.hours.flatMap((hour) => schedule.minutes.map((minute) => hour * 60 + minute));
  const first = times[0] ?? 0;
  const last = times[times.length - 1] ?? 0;
  let shortest = Infinity;
  let longest = 0;
  for (let i = 1; i < times.length; i++) {
    const gap = (times[i] ?? 0) - (times[i - 1] ?? 0);
    shortest = Math.min(shortest, gap);
    longest = Math.max(longest, gap);
  }
  let firstDay: number | undefined;
  let previousDay: number | undefined;
  const between = (from: number, to: number): void => {
    const gap = (to - from) * 1440 + first - last;
    shortest = Math.min(shortest, gap);
    longest = Math.max(longest, gap);
  };
  for (let day = 0; day < CYCLE_DAYS; day++) {
    if (!runsOn(schedule, new Date(CYCLE_START + day * DAY_MS))) continue;
    if (previousDay !== undefined) between(previousDay, day);
    firstDay ??= day;
    previousDay = day;
  }
  if (firstDay === undefined || previousDay === undefined) {
    throw new CronSyntaxError(`"${expression}" never runs: no date has that day and month`);
  }
  // The cycle repeats: the last run of one cycle is followed by the first run of the next.
  between(previousDay, firstDay + CYCLE_DAYS);
  return { shortestSeconds: shortest * 60, longestSeconds: longest * 60 };
}
