// The per-client rate limit: counted by client name after authentication, beside the zone's per-IP rule.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TOKENS, bearer, edgeBindings, startEdge, startOrigin, url, withOrigin } from "./harness.js";

const LIMIT = 3;

function ping(edge, token) {
  return edge.dispatchFetch(url("/memory/mcp"), {
    method: "POST",
    headers: { ...bearer(token), "content-type": "application/json" },
    body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
  });
}

describe("client rate limit", () => {
  const ctx = withOrigin();

  it("answers 429 once a client is over its limit, before the origin, and leaves other clients alone", async () => {
    const ratelimits = { CLIENT_RATE_LIMIT: { simple: { limit: LIMIT, period: 60 } } };
    const edge = startEdge(edgeBindings(ctx.origin), { ratelimits });
    try {
      for (let index = 0; index < LIMIT; index += 1) {
        const response = await ping(edge, TOKENS.alice);
        await response.arrayBuffer();
        assert.equal(response.status, 200);
      }
      const forwarded = ctx.origin.requests.length;
      const limited = await ping(edge, TOKENS.alice);
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get("retry-after"), "60");
      assert.equal((await limited.json()).error, "rate_limited");
      assert.equal(ctx.origin.requests.length, forwarded);
      const other = await ping(edge, TOKENS.ci);
      await other.arrayBuffer();
      assert.equal(other.status, 200);
    } finally {
      await edge.dispose();
    }
  });

  it("refuses to run without the rate limiting binding", async () => {
    const origin = await startOrigin();
    const edge = startEdge(edgeBindings(origin), { ratelimits: {} });
    try {
      const response = await ping(edge, TOKENS.alice);
      assert.equal(response.status, 500);
      assert.equal((await response.json()).error, "edge_misconfigured");
      assert.equal(origin.requests.length, 0);
    } finally {
      await edge.dispose();
      await origin.close();
    }
  });
});
