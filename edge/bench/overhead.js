// What the edge adds: latency of an MCP POST and time to the first SSE byte, straight to a loopback origin
// and through the worker in workerd in front of the same origin. `node bench/overhead.js [requests]` prints
// JSON; docs/performance.md records a run. workerd here is the worker's own cost plus one loopback hop, not
// Cloudflare's network between a client, the edge and the origin.

import { createServer } from "node:http";
import { Miniflare } from "miniflare";
import { COMPATIBILITY_DATE, RATE_LIMITS, TOKENS, WORKER_SOURCE, edgeBindings } from "../test/harness.js";
import { summary } from "./summary.js";

const REQUESTS = Number(process.argv[2] ?? "1000");
const WARMUP = Math.min(50, REQUESTS);
const BODY = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}';

function startOrigin() {
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      if (request.method === "GET") {
        response.writeHead(200, { "content-type": "text/event-stream" });
        response.end('event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress"}\n\n');
        return;
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end('{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"hi"}]}}');
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

async function timed(url, init) {
  const started = performance.now();
  const response = await fetch(url, init);
  const reader = response.body.getReader();
  const first = await reader.read();
  const firstByte = performance.now() - started;
  if (!first.done) {
    while (!(await reader.read()).done) {
      // drain
    }
  }
  if (response.status !== 200) {
    throw new Error(`${url} answered ${response.status}`);
  }
  return { total: performance.now() - started, firstByte };
}

const origin = await startOrigin();
const originHost = `127.0.0.1:${origin.address().port}`;
const edge = new Miniflare({
  modules: true,
  script: WORKER_SOURCE,
  scriptPath: "worker.js",
  compatibilityDate: COMPATIBILITY_DATE,
  host: "127.0.0.1",
  port: 0,
  bindings: edgeBindings({ host: originHost }, { PUBLIC_HOSTNAME: "127.0.0.1", MAX_BODY_BYTES: "1048576" }),
  ratelimits: RATE_LIMITS,
  handleStructuredLogs: () => {},
});
const edgeUrl = await edge.ready;
const targets = {
  direct: `http://${originHost}/memory/mcp`,
  edge: new URL("memory/mcp", edgeUrl).href,
};
const authorization = `Bearer ${TOKENS.alice}`;
const post = { method: "POST", headers: { "content-type": "application/json", authorization }, body: BODY };
const stream = { method: "GET", headers: { accept: "text/event-stream", authorization } };
const samples = { direct: { post: [], stream: [] }, edge: { post: [], stream: [] } };
try {
  for (let index = 0; index < WARMUP + REQUESTS; index += 1) {
    // Alternate which side goes first, so neither always follows the other.
    const order = index % 2 === 0 ? ["direct", "edge"] : ["edge", "direct"];
    for (const side of order) {
      const posted = await timed(targets[side], post);
      const streamed = await timed(targets[side], stream);
      if (index >= WARMUP) {
        samples[side].post.push(posted.total);
        samples[side].stream.push(streamed.firstByte);
      }
    }
  }
  const result = { requests: REQUESTS, node: process.version };
  for (const side of ["direct", "edge"]) {
    result[side] = { postMs: summary(samples[side].post), firstSseByteMs: summary(samples[side].stream) };
  }
  result.addedMs = {
    postP50: Number((result.edge.postMs.p50 - result.direct.postMs.p50).toFixed(3)),
    postP99: Number((result.edge.postMs.p99 - result.direct.postMs.p99).toFixed(3)),
    firstSseByteP50: Number((result.edge.firstSseByteMs.p50 - result.direct.firstSseByteMs.p50).toFixed(3)),
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  await edge.dispose();
  origin.close();
}
