import { Registry } from 'prom-client';
import { LABEL_VALUES, PROBE_METRICS } from '@mcpenv/contract';
import { gauge } from '../metrics';
import type { ProbeReport } from './run';

/**
 * The probe's metrics, registered from the catalogue's `PROBE_METRICS` and nothing else, each
 * reflecting the last run only. Absent until the first run ends, so a scrape never reads a 0 that
 * no run measured.
 */
export class ProbeMetrics {
  readonly registry = new Registry();
  private readonly success = gauge(this.registry, PROBE_METRICS.probeSuccess);
  private readonly durationSeconds = gauge(this.registry, PROBE_METRICS.probeDurationSeconds);
  private readonly tlsNotAfter = gauge(this.registry, PROBE_METRICS.probeTlsNotAfterTimestampSeconds);

  constructor() {
    // prom-client shows a metric without labels at 0 from its creation.
    this.success.remove();
    this.tlsNotAfter.remove();
  }

  /**
   * Sets every series from `report`. A step that did not run loses its series rather than keeping
   * an older run's value; so does the certificate's expiry when this run did not see a certificate.
   */
  record(report: ProbeReport): void {
    this.success.set(report.ok ? 1 : 0);
    for (const step of LABEL_VALUES.probeStep) {
      const ran = report.steps.find((result) => result.step === step);
      if (ran) this.durationSeconds.set({ step }, ran.seconds);
      else this.durationSeconds.remove({ step });
    }
    if (report.tls) this.tlsNotAfter.set(Date.parse(report.tls.notAfter) / 1000);
    else this.tlsNotAfter.remove();
  }
}
