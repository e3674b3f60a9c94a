// A flood of POSTs in bursts, for the pre-auth flood test: each line on stdin is a number N; the
// process starts N requests to `url`, `perSecond` a second, each with `bytes` bytes of nested `[`
// and the given headers, then prints one line: the HTTP status counts of the burst as JSON.
// It runs as a process of its own, so the flood and the latency probes do not share an event
// loop; the pace keeps the flooder itself from taking the machine's CPU from the server.
// Usage: node flood.js <url> <perSecond> <bytes> <headers-json>
'use strict';
/* global process, Buffer, setTimeout */
const http = require('node:http');
const readline = require('node:readline');

const [url, perSecondText, bytesText, headersJson] = process.argv.slice(2);
const perSecond = Number(perSecondText);
const body = Buffer.alloc(Number(bytesText), '[');
const headers = {
  'content-type': 'application/json',
  'content-length': body.length,
  ...JSON.parse(headersJson),
};
const agent = new http.Agent({ keepAlive: true });

function one(counts) {
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

async function burst(count) {
  const counts = {};
  const started = Date.now();
  const requests = [];
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / perSecond;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    requests.push(one(counts));
  }
  await Promise.all(requests);
  return counts;
}

let queue = Promise.resolve();
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  queue = queue.then(async () => process.stdout.write(`${JSON.stringify(await burst(Number(line)))}\n`));
});
process.stdin.on('end', () => void queue.then(() => agent.destroy()));
