/**
 * Scrapes a Prometheus text endpoint every 100 ms until `done` holds for the text; rejects with
 * the last text after `timeoutMs`. Each scrape is itself bounded.
 */
export async function scrapeUntil(
  url: string,
  done: (text: string) => boolean,
  timeoutMs = 20_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await (await fetch(url, { signal: AbortSignal.timeout(5_000) })).text();
    if (done(text)) return text;
    if (Date.now() > deadline) throw new Error(`the metrics never matched within ${timeoutMs} ms:\n${text}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
