// Routing and request limits: /health, /<service>/mcp for catalog services only, MCP's methods only, body size.

import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { SERVICES, bearer, post, url, withEdge } from "./harness.js";

describe("routing", () => {
  const ctx = withEdge();

  it("serves /health itself, without a token and without asking the origin", async () => {
    const response = await ctx.edge.dispatchFetch(url("/health"));
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: "ok" });
    assert.equal(ctx.origin.requests.length, 0);
    const head = await ctx.edge.dispatchFetch(url("/health"), { method: "HEAD" });
    assert.equal(head.status, 200);
    const post = await ctx.edge.dispatchFetch(url("/health"), { method: "POST", body: "{}" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
  });

  it("routes every catalog service to the same path on the origin, query string included", async () => {
    for (const service of SERVICES) {
      const response = await ctx.edge.dispatchFetch(url(`/${service}/mcp?trace=1`), {
        method: "POST",
        headers: { ...bearer(), "content-type": "application/json" },
        body: '{"jsonrpc":"2.0","id":7,"method":"ping"}',
      });
      assert.equal(response.status, 200, service);
      await response.arrayBuffer();
      const seen = ctx.origin.requests.at(-1);
      assert.equal(seen.url, `/${service}/mcp?trace=1`);
      assert.equal(seen.method, "POST");
      assert.equal(seen.body, '{"jsonrpc":"2.0","id":7,"method":"ping"}');
      assert.equal(seen.headers.host, ctx.origin.host);
    }
  });

  for (const path of [
    "/unknown/mcp",
    "/memory",
    "/memory/",
    "/memory/mcp/",
    "/memory/mcp/extra",
    "/memory/sse",
    "//memory/mcp",
    "/Memory/mcp",
    "/%6demory/mcp",
    "/memory%2fmcp",
    "/memory/mcp%00",
    "/memory/MCP",
    "/",
    `/${"a".repeat(3000)}/mcp`,
  ]) {
    it(`answers 404 for ${path.slice(0, 40)} after authentication`, async () => {
      const forwarded = ctx.origin.requests.length;
      const response = await post(ctx.edge, path);
      assert.equal(response.status, 404);
      const body = await response.json();
      assert.equal(body.error, "not_found");
      assert.equal(ctx.origin.requests.length, forwarded);
      const anonymous = await ctx.edge.dispatchFetch(url(path), { method: "POST", body: "{}" });
      assert.equal(anonymous.status, 401, "service names are not disclosed to anonymous callers");
    });
  }

  it("answers 404 on any other hostname (the workers.dev address)", async () => {
    const response = await ctx.edge.dispatchFetch("https://mcp-edge.example.workers.dev/memory/mcp", {
      method: "POST",
      headers: bearer(),
      body: "{}",
    });
    assert.equal(response.status, 404);
    assert.equal(ctx.origin.requests.length > 0 && ctx.origin.requests.at(-1).url === "/memory/mcp", false);
  });

  it("normalises dot segments before routing", async () => {
    const response = await ctx.edge.dispatchFetch(url("/unknown/../memory/mcp"), {
      method: "POST",
      headers: bearer(),
      body: "{}",
    });
    assert.equal(response.status, 200);
    await response.arrayBuffer();
    assert.equal(ctx.origin.requests.at(-1).url, "/memory/mcp");
  });
});

describe("methods", () => {
  const ctx = withEdge();
  before(() => {
    ctx.origin.handler = (request, response) => {
      if (request.method === "DELETE") {
        response.writeHead(204);
        response.end();
        return;
      }
      response.writeHead(request.method === "GET" ? 405 : 202, { "content-type": "application/json" });
      response.end("{}");
    };
  });

  it("forwards POST, GET and DELETE with the origin's status", async () => {
    const cases = [
      ["POST", 202, "{}"],
      ["GET", 405, undefined],
      ["DELETE", 204, undefined],
    ];
    for (const [method, status, body] of cases) {
      const response = await ctx.edge.dispatchFetch(url("/memory/mcp"), {
        method,
        headers: { ...bearer(), "mcp-session-id": "session-1" },
        body,
      });
      assert.equal(response.status, status, method);
      await response.arrayBuffer();
      assert.equal(ctx.origin.requests.at(-1).method, method);
      assert.equal(ctx.origin.requests.at(-1).headers["mcp-session-id"], "session-1");
    }
  });

  for (const method of ["PUT", "PATCH", "PROPFIND", "PURGE"]) {
    it(`answers 405 with Allow for ${method}, before authentication`, async () => {
      const forwarded = ctx.origin.requests.length;
      const response = await ctx.edge.dispatchFetch(url("/memory/mcp"), {
        method,
        headers: bearer(),
        body: ["PUT", "PATCH", "PROPFIND"].includes(method) ? "{}" : undefined,
      });
      assert.equal(response.status, 405);
      assert.equal(response.headers.get("allow"), "POST, GET, DELETE, OPTIONS");
      assert.equal((await response.json()).error, "method_not_allowed");
      assert.equal(ctx.origin.requests.length, forwarded);
    });
  }

  it("answers HEAD on the MCP path with 405 and no body", async () => {
    const response = await ctx.edge.dispatchFetch(url("/memory/mcp"), { method: "HEAD", headers: bearer() });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get("allow"), "POST, GET, DELETE, OPTIONS");
  });
});

describe("request body size", () => {
  const ctx = withEdge({ MAX_BODY_BYTES: "1024" });

  // A body sent in chunks, without Content-Length, the way a streaming client sends it.
  function postStreamed(chunks) {
    const body = new ReadableStream({
      start(controller) {
        for (const chunk of chunks) {
          controller.enqueue(new TextEncoder().encode(chunk));
        }
        controller.close();
      },
    });
    return ctx.edge.dispatchFetch(url("/memory/mcp"), { method: "POST", headers: bearer(), body, duplex: "half" });
  }

  it("forwards a body of exactly the limit", async () => {
    const body = `{"x":"${"a".repeat(1024 - 8)}"}`;
    assert.equal(Buffer.byteLength(body), 1024);
    const response = await ctx.edge.dispatchFetch(url("/memory/mcp"), { method: "POST", headers: bearer(), body });
    assert.equal(response.status, 200);
    await response.arrayBuffer();
    assert.equal(ctx.origin.requests.at(-1).body, body);
  });

  it("answers 413 for a body one byte over the limit", async () => {
    const forwarded = ctx.origin.requests.length;
    const body = `{"x":"${"a".repeat(1024 - 7)}"}`;
    const response = await ctx.edge.dispatchFetch(url("/memory/mcp"), { method: "POST", headers: bearer(), body });
    assert.equal(response.status, 413);
    assert.equal((await response.json()).error, "body_too_large");
    assert.equal(ctx.origin.requests.length, forwarded);
  });

  it("answers 413 for a streamed body without Content-Length once it passes the limit", async () => {
    const forwarded = ctx.origin.requests.length;
    const chunk = "a".repeat(600);
    const response = await postStreamed([chunk, chunk]);
    assert.equal(response.status, 413);
    await response.arrayBuffer();
    assert.equal(ctx.origin.requests.length, forwarded);
  });

  it("forwards a small streamed body without Content-Length", async () => {
    const response = await postStreamed(['{"jsonrpc":', '"2.0"}']);
    assert.equal(response.status, 200);
    await response.arrayBuffer();
    assert.equal(ctx.origin.requests.at(-1).body, '{"jsonrpc":"2.0"}');
  });
});
