// What the edge's own authorization server adds per request: the latency of an MCP tools/call POST through the
// same worker with a static token and with an access token it issued (which it looks up in OAUTH_KV and whose
// props it decrypts). `node bench/oauth-overhead.js [requests]` prints JSON; docs/performance.md records a run.
// OAUTH_KV here is Miniflare's local store: on Cloudflare a KV read costs what KV costs at that location (a
// cached key is fast, a cold one slower), which this does not measure.

import { TOKENS, startOrigin, url } from "../test/harness.js";
import {
  CIMD_CLIENT_ID,
  ClientProvider,
  authorize,
  mcpOrigin,
  startAuthorizingEdge,
  startClientDocument,
  startUpstream,
} from "../test/oauth-flow.js";
import { summary } from "./summary.js";

const REQUESTS = Number(process.argv[2] ?? "1000");
const WARMUP = Math.min(50, REQUESTS);
const BODY = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}';

const origin = await startOrigin();
mcpOrigin(origin);
const upstream = await startUpstream();
const documents = await startClientDocument();
const edge = startAuthorizingEdge(origin, upstream, documents);
edge.logs.length = 0;
try {
  const provider = new ClientProvider(CIMD_CLIENT_ID);
  const session = await authorize(edge, "memory", provider);
  await session.client.close();
  const tokens = { static: TOKENS.alice, oauth: provider.stored.tokens.access_token };
  const samples = { static: [], oauth: [] };
  for (let index = 0; index < WARMUP + REQUESTS; index += 1) {
    const order = index % 2 === 0 ? ["static", "oauth"] : ["oauth", "static"];
    for (const side of order) {
      const started = performance.now();
      const response = await edge.dispatchFetch(url("/memory/mcp"), {
        method: "POST",
        headers: {
          authorization: `Bearer ${tokens[side]}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
        },
        body: BODY,
      });
      await response.arrayBuffer();
      if (response.status !== 200) {
        throw new Error(`${side} answered ${response.status}`);
      }
      if (index >= WARMUP) {
        samples[side].push(performance.now() - started);
      }
      // The audit lines would pile up in memory over a long run.
      edge.logs.length = 0;
    }
  }
  const result = { requests: REQUESTS, node: process.version };
  for (const side of ["static", "oauth"]) {
    result[side] = { postMs: summary(samples[side]) };
  }
  result.addedMs = {
    postP50: Number((result.oauth.postMs.p50 - result.static.postMs.p50).toFixed(3)),
    postP99: Number((result.oauth.postMs.p99 - result.static.postMs.p99).toFixed(3)),
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  await edge.dispose();
  await upstream.close();
  await documents.close();
  await origin.close();
}
