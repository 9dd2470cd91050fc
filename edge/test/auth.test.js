// Authentication: every request but /health and CORS preflights needs a bearer token whose SHA-256 is configured.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TOKENS, bearer, edgeBindings, post, sha256Hex, url, usingEdge, withEdge, withOrigin } from "./harness.js";

const INITIALIZE = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: {} });

describe("bearer token authentication", () => {
  const ctx = withEdge();

  async function initialize(headers) {
    return ctx.edge.dispatchFetch(url("/memory/mcp"), {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: INITIALIZE,
    });
  }

  async function assertRefused(response, expectedChallenge) {
    assert.equal(response.status, 401);
    assert.equal(response.headers.get("www-authenticate"), expectedChallenge);
    assert.equal(response.headers.get("content-type"), "application/json");
    const body = await response.json();
    assert.equal(body.error, "unauthorized");
    assert.match(body.requestId, /^[0-9a-f-]{36}$/);
  }

  it("refuses a request without Authorization and never reaches the origin", async () => {
    const forwarded = ctx.origin.requests.length;
    await assertRefused(await initialize({}), 'Bearer realm="mcp-suite"');
    assert.equal(ctx.origin.requests.length, forwarded);
  });

  for (const [label, value] of [
    ["a Basic credential", `Basic ${btoa("alice:secret")}`],
    ["Bearer without a token", "Bearer"],
    ["Bearer with an empty token", "Bearer "],
    ["two tokens", `Bearer ${TOKENS.alice} ${TOKENS.ci}`],
    ["a token with forbidden characters", "Bearer abc$def"],
    ["lowercase scheme with padding in the middle", "bearer abc=def"],
    ["an oversized token", `Bearer ${"a".repeat(5000)}`],
  ]) {
    it(`refuses a malformed header: ${label}`, async () => {
      const response = await initialize({ authorization: value });
      await assertRefused(response, 'Bearer realm="mcp-suite", error="invalid_request"');
    });
  }

  it("refuses a wrong token", async () => {
    const forwarded = ctx.origin.requests.length;
    const response = await initialize(bearer("not-a-client-token"));
    await assertRefused(response, 'Bearer realm="mcp-suite", error="invalid_token"');
    assert.equal(ctx.origin.requests.length, forwarded);
  });

  it("refuses the hash itself used as the token", async () => {
    const response = await initialize(bearer(sha256Hex(TOKENS.alice)));
    await assertRefused(response, 'Bearer realm="mcp-suite", error="invalid_token"');
  });

  it("refuses a token that differs from a valid one in its last character", async () => {
    const response = await initialize(bearer(TOKENS.alice.slice(0, -1) + "g"));
    await assertRefused(response, 'Bearer realm="mcp-suite", error="invalid_token"');
  });

  it("accepts each configured client's token and names the client to the origin", async () => {
    for (const [client, token] of Object.entries(TOKENS)) {
      const response = await initialize(bearer(token));
      assert.equal(response.status, 200, client);
      assert.deepEqual(await response.json(), { jsonrpc: "2.0", id: 1, result: {} });
      const seen = ctx.origin.requests.at(-1);
      assert.equal(seen.headers["x-mcp-client"], client);
      assert.equal(seen.headers.authorization, undefined, "the edge token must not reach the origin");
    }
  });
});

describe("authentication cannot be turned off", () => {
  const ctx = withOrigin();

  for (const [label, value] of [
    ["missing", undefined],
    ["empty", ""],
    ["not JSON", "abc"],
    ["a list instead of clients", JSON.stringify([sha256Hex(TOKENS.alice)])],
    ["a hash that is not hex", JSON.stringify({ alice: "z".repeat(64) })],
  ]) {
    it(`answers 500 without reaching the origin when TOKEN_HASHES is ${label}`, async () => {
      await usingEdge(edgeBindings(ctx.origin, { TOKEN_HASHES: value }), async (edge) => {
        const response = await edge.dispatchFetch(url("/memory/mcp"), {
          method: "POST",
          headers: bearer(),
          body: "{}",
        });
        assert.equal(response.status, 500);
        const body = await response.json();
        assert.equal(body.error, "edge_misconfigured");
        assert.doesNotMatch(JSON.stringify(body), /TOKEN_HASHES/, "configuration details stay in the logs");
        assert.ok(edge.logs.some((line) => /bad_configuration.*TOKEN_HASHES/.test(line.message)), edge.logs);
        assert.equal(ctx.origin.requests.length, 0);
      });
    });
  }

  it("refuses every token when no client is configured", async () => {
    await usingEdge(edgeBindings(ctx.origin, { TOKEN_HASHES: "{}" }), async (edge) => {
      const response = await post(edge);
      assert.equal(response.status, 401);
      assert.equal(ctx.origin.requests.length, 0);
    });
  });
});

describe("client tokens in the optional KV namespace", () => {
  const ctx = withEdge({ TOKEN_HASHES: "{}" }, { kvNamespaces: ["TOKENS_KV"] });
  const key = `sha256:${sha256Hex("kv-client-token")}`;

  it("accepts a token whose hash is a key in the namespace, and refuses it once the key is deleted", async () => {
    const kv = await ctx.edge.getKVNamespace("TOKENS_KV");
    await kv.put(key, "kv-client");
    const request = () =>
      ctx.edge.dispatchFetch(url("/memory/mcp"), { method: "POST", headers: bearer("kv-client-token"), body: "{}" });
    const accepted = await request();
    assert.equal(accepted.status, 200);
    await accepted.arrayBuffer();
    assert.equal(ctx.origin.requests.at(-1).headers["x-mcp-client"], "kv-client");
    await kv.delete(key);
    const refused = await request();
    assert.equal(refused.status, 401);
  });
});
