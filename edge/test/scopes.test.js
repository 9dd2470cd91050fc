// Per-client scopes (services; tools per service are in tool-filter.test.js) and the audit record of every MCP
// request.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TOKENS, bearer, edgeBindings, startOrigin, url, usingEdge, withEdge } from "./harness.js";

const SCOPES = { alice: { services: ["memory", "everything"], tools: { everything: ["echo"] } } };

function call(edge, path, tool, token = TOKENS.alice, argumentsValue = {}) {
  const params = { name: tool, arguments: argumentsValue };
  const body = JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/call", params });
  return edge.dispatchFetch(url(path), {
    method: "POST",
    headers: { ...bearer(token), "content-type": "application/json" },
    body,
  });
}

describe("client scopes", () => {
  const ctx = withEdge({ CLIENT_SCOPES: JSON.stringify(SCOPES) });

  it("forwards a call to an allowed tool of an allowed service", async () => {
    const response = await call(ctx.edge, "/everything/mcp", "echo");
    await response.arrayBuffer();
    assert.equal(response.status, 200);
    assert.equal(ctx.origin.requests.at(-1).url, "/everything/mcp");
  });

  it("forwards any tool of an allowed service that lists no tools", async () => {
    const response = await call(ctx.edge, "/memory/mcp", "create_entities");
    await response.arrayBuffer();
    assert.equal(response.status, 200);
  });

  for (const [label, path, tool, token, expected] of [
    ["a service the scope does not list", "/sequential-thinking/mcp", "think", TOKENS.alice, /may not use/],
    ["a client without a scope, once scopes are set", "/memory/mcp", "read_graph", TOKENS.ci, /Client ci may not/],
  ]) {
    it(`refuses ${label} with 403 and a JSON-RPC error, before the origin`, async () => {
      const forwarded = ctx.origin.requests.length;
      const response = await call(ctx.edge, path, tool, token);
      assert.equal(response.status, 403);
      const answer = await response.json();
      assert.equal(answer.id, 9);
      assert.equal(answer.error.code, -32003);
      assert.match(answer.error.message, expected);
      assert.equal(ctx.origin.requests.length, forwarded);
    });
  }

  it("refuses a stream (GET) on a service outside the scope", async () => {
    const response = await ctx.edge.dispatchFetch(url("/sequential-thinking/mcp"), {
      method: "GET",
      headers: { ...bearer(), accept: "text/event-stream" },
    });
    assert.equal(response.status, 403);
    assert.equal((await response.json()).error, "not_allowed");
  });
});

describe("scopes binding", () => {
  it("answers 500 and forwards nothing when CLIENT_SCOPES is malformed", async () => {
    const origin = await startOrigin();
    try {
      const bindings = edgeBindings(origin, { CLIENT_SCOPES: JSON.stringify({ alice: { services: "memory" } }) });
      await usingEdge(bindings, async (edge) => {
        const response = await call(edge, "/memory/mcp", "read_graph");
        assert.equal(response.status, 500);
        assert.equal((await response.json()).error, "edge_misconfigured");
        assert.ok(edge.logs.some((line) => /CLIENT_SCOPES/.test(line.message)));
      });
      assert.equal(origin.requests.length, 0);
    } finally {
      await origin.close();
    }
  });
});

describe("audit records", () => {
  const ctx = withEdge();
  const records = () =>
    ctx.edge.logs.map((line) => line.message).filter((message) => message.includes('"mcp_request"')).map(JSON.parse);

  it("writes one record per MCP request, with who called which tool and how it went", async () => {
    const before = records().length;
    const response = await call(ctx.edge, "/everything/mcp", "echo", TOKENS.alice, { text: "s3cr3t-argument" });
    await response.arrayBuffer();
    const written = records().slice(before);
    assert.equal(written.length, 1);
    const [record] = written;
    assert.equal(record.client, "alice");
    assert.equal(record.service, "everything");
    assert.equal(record.method, "tools/call");
    assert.equal(record.tool, "echo");
    assert.equal(record.status, 200);
    assert.equal(record.requestId, response.headers.get("x-request-id"));
    assert.ok(Number.isInteger(record.latencyMs) && record.latencyMs >= 0);
    assert.ok(!Number.isNaN(Date.parse(record.time)));
  });

  it("records a refused request without a client, and never a token or a body", async () => {
    const secretArgument = { text: "s3cr3t-argument" };
    const response = await call(ctx.edge, "/memory/mcp", "read_graph", "not-a-valid-token", secretArgument);
    await response.arrayBuffer();
    const record = records().at(-1);
    assert.equal(record.status, 401);
    assert.equal(record.client, null);
    const everything = JSON.stringify(ctx.edge.logs);
    for (const secret of [...Object.values(TOKENS), "not-a-valid-token", "s3cr3t-argument"]) {
      assert.ok(!everything.includes(secret), `the logs hold ${secret}`);
    }
  });
});

describe("recorded tools only", () => {
  const recorded = { everything: ["echo", "add"], memory: ["read_graph"] };
  const ctx = withEdge({ RECORDED_TOOLS: JSON.stringify(recorded) });

  it("forwards a call to a tool the reviewed manifest records", async () => {
    const response = await call(ctx.edge, "/everything/mcp", "echo");
    await response.arrayBuffer();
    assert.equal(response.status, 200);
  });

  for (const [label, path, tool] of [
    ["a tool the manifest does not record (a server update added it)", "/everything/mcp", "run_shell"],
    ["any tool of a service the manifest does not list", "/sequential-thinking/mcp", "sequentialthinking"],
  ]) {
    it(`refuses ${label} with 403 and a JSON-RPC error, before the origin`, async () => {
      const forwarded = ctx.origin.requests.length;
      const response = await call(ctx.edge, path, tool);
      assert.equal(response.status, 403);
      const answer = await response.json();
      assert.equal(answer.error.code, -32003);
      assert.match(answer.error.message, new RegExp(`The ${tool} tool of .* is not in the tool manifest`));
      assert.equal(ctx.origin.requests.length, forwarded);
    });
  }

  it("leaves requests that call no tool alone", async () => {
    const body = JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/list" });
    const response = await ctx.edge.dispatchFetch(url("/sequential-thinking/mcp"), {
      method: "POST",
      headers: { ...bearer(), "content-type": "application/json" },
      body,
    });
    await response.arrayBuffer();
    assert.equal(response.status, 200);
  });
});
