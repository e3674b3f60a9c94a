// Sends `count` POSTs to `url`, `concurrency` at a time, each with `bytes` bytes of nested `[` and
// the given headers; prints the HTTP status counts as JSON. Run by the pre-auth flood test as a
// process of its own, so the flood and the latency probes do not share an event loop.
// Usage: node flood.js <url> <count> <concurrency> <bytes> <headers-json>
'use strict';
/* global process, Buffer */
const http = require('node:http');

const [url, countText, concurrencyText, bytesText, headersJson] = process.argv.slice(2);
const count = Number(countText);
const body = Buffer.alloc(Number(bytesText), '[');
const headers = {
  'content-type': 'application/json',
  'content-length': body.length,
  ...JSON.parse(headersJson),
};
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(concurrencyText) });
const counts = {};
let sent = 0;

function one() {
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'POST', headers, agent, timeout: 30000 }, (res) => {
      res.resume();
      res.on('end', () => {
        counts[res.statusCode] = (counts[res.statusCode] || 0) + 1;
        resolve();
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => {
      const key = `error:${error.code || error.message}`;
      counts[key] = (counts[key] || 0) + 1;
      resolve();
    });
    req.end(body);
  });
}

async function worker() {
  while (sent < count) {
    sent++;
    await one();
  }
}

Promise.all(Array.from({ length: Number(concurrencyText) }, worker)).then(() => {
  agent.destroy();
  process.stdout.write(JSON.stringify(counts));
});
