import { CronSyntaxError, cronGaps, parseCronSchedule } from '../../constructs/cron';

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('cronGaps', () => {
  test.each([
    ['0 3 * * *', 'daily at 03:00', DAY, DAY],
    ['*/15 * * * *', 'every quarter hour', 15 * MINUTE, 15 * MINUTE],
    ['0 3 * * 1', 'every Monday', 7 * DAY, 7 * DAY],
    ['0 0 1 * *', 'on the first of each month', 28 * DAY, 31 * DAY],
    ['0 */6 * * *', 'every six hours', 6 * HOUR, 6 * HOUR],
    ['0 1,23 * * *', 'at 01:00 and 23:00', 2 * HOUR, 22 * HOUR],
    ['30 2 * * mon-fri', 'on weekdays', DAY, 3 * DAY],
    ['0 0 31 * *', 'on the 31st, which five months lack', 31 * DAY, 61 * DAY],
    ['0 0 29 2 *', 'on 29 February, skipped in 2100', 4 * 365 * DAY + DAY, 8 * 365 * DAY + DAY],
    ['0 4 1,15 * 0', 'on the 1st, the 15th and every Sunday (either day field)', DAY, 7 * DAY],
    ['0 4 */10 * *', 'on the 1st, 11th, 21st and 31st', DAY, 10 * DAY],
  ])('%s (%s) runs at least every and at most every so often', (schedule, _what, shortest, longest) => {
    expect(cronGaps(schedule)).toEqual({ shortestSeconds: shortest, longestSeconds: longest });
  });

  test('reads names of months and days as the CronJob controller does', () => {
    expect(cronGaps('0 3 * jan,JUL sun')).toEqual(cronGaps('0 3 * 1,7 0'));
  });

  test('rejects a schedule that never runs', () => {
    expect(() => cronGaps('0 0 30 2 *')).toThrow(
      new CronSyntaxError('"0 0 30 2 *" never runs: no date has that day and month'),
    );
  });
});

describe('parseCronSchedule', () => {
  test('treats `*` and `?` as any day, and a stepped `*` as a restriction', () => {
    expect(parseCronSchedule('0 0 ? * 1')).toMatchObject({ anyDayOfMonth: true, anyDayOfWeek: false });
    expect(parseCronSchedule('0 0 */2 * *')).toMatchObject({ anyDayOfMonth: false, anyDayOfWeek: true });
    expect(parseCronSchedule('5/20 * * * *').minutes).toEqual([5, 25, 45]);
  });

  test.each([
    ['@daily', /descriptor: write it as five fields/],
    ['0 3 * *', /it has 4 fields: write five/],
    ['0 3 * * * *', /it has 6 fields/],
    ['60 3 * * *', /the minute field has 60, outside 0-59/],
    ['0 24 * * *', /the hour field has 24, outside 0-23/],
    ['0 0 0 * *', /the day of month field has 0, outside 1-31/],
    ['0 0 * 13 *', /the month field has 13, outside 1-12/],
    ['0 0 * * 7', /the day of week field has 7, outside 0-6 \(Sunday is 0\)/],
    ['0 0 * * funday', /the day of week field has "funday", which is not a number or a name such as "mon"/],
    ['5-1 * * * *', /the minute field has the range "5-1", which runs backwards/],
    ['*/0 * * * *', /the minute field has the step "0": write a number from 1/],
    ['1,,2 * * * *', /the minute field has "", which is not a value, range or step/],
  ])('rejects %s, naming the field and the fault', (schedule, message) => {
    expect(() => parseCronSchedule(schedule)).toThrow(message);
  });
});
