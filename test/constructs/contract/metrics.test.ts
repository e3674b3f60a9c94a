import {
  LABEL_VALUES,
  METRICS,
  PROTOCOL_GENERATIONS,
  protocolVersionLabel,
  RECORDED_SERIES,
} from '@mcpenv/contract';

describe('the protocol_version label', () => {
  test('is on the request counter, the request duration histogram and the recorded request rate', () => {
    expect(METRICS.requestsTotal.labelNames).toEqual(['method', 'status', 'endpoint', 'protocol_version']);
    expect(METRICS.requestDurationSeconds.labelNames).toEqual(['method', 'endpoint', 'protocol_version']);
    expect(RECORDED_SERIES.requestRate.labelNames).toContain('protocol_version');
    const others = Object.values(METRICS).filter(
      (d) => d !== METRICS.requestsTotal && d !== METRICS.requestDurationSeconds,
    );
    expect(others.filter((d) => (d.labelNames as readonly string[]).includes('protocol_version'))).toEqual(
      [],
    );
  });

  test('takes a closed set of values: the served revisions, newest first, then unknown', () => {
    expect([...LABEL_VALUES.protocolVersion, ...LABEL_VALUES.protocolVersionFallback]).toEqual([
      '2026-07-28',
      '2025-11-25',
      '2025-06-18',
      '2025-03-26',
      'unknown',
    ]);
    expect(PROTOCOL_GENERATIONS).toEqual({
      modern: ['2026-07-28'],
      legacy: ['2025-11-25', '2025-06-18', '2025-03-26'],
    });
  });

  test.each(['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26'])(
    'keeps the served revision %s as it is',
    (version) => {
      expect(protocolVersionLabel(version)).toBe(version);
    },
  );

  test.each<[string, string | undefined]>([
    ['no version read', undefined],
    ['an empty header', ''],
    ['a revision the server does not serve', '2024-11-05'],
    ['a future revision', '2027-01-01'],
    ['a version with surrounding space', ' 2026-07-28'],
    ['a version in another form', '2026-7-28'],
    ['a list of versions', '2026-07-28, 2025-11-25'],
    ['the fallback value itself', 'unknown'],
    ['arbitrary client text', 'x'.repeat(200)],
  ])('maps %s onto unknown', (_case, raw) => {
    expect(protocolVersionLabel(raw)).toBe('unknown');
  });

  test('never answers outside the label values, whatever a client sends', () => {
    const allowed = new Set<string>([
      ...LABEL_VALUES.protocolVersion,
      ...LABEL_VALUES.protocolVersionFallback,
    ]);
    const inputs = ['constructor', '__proto__', 'toString', 'hasOwnProperty', '2026-07-28\n', 'UNKNOWN'];
    for (const raw of inputs) expect(allowed.has(protocolVersionLabel(raw))).toBe(true);
    expect(inputs.map((raw) => protocolVersionLabel(raw))).toEqual(inputs.map(() => 'unknown'));
  });
});
