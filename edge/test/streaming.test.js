// SSE and other streamed responses pass through unbuffered; quiet SSE streams get keep-alive comments.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bearer, edgeBindings, post, readUntil, url, usingEdge, withEdge, withOrigin } from "./harness.js";

function sseHeaders(response) {
  response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  response.flushHeaders();
}

describe("streamed responses", () => {
  const ctx = withEdge({ KEEPALIVE_SECONDS: "30" });

  it("delivers the first SSE event while the origin is still holding the stream open", async () => {
    let finishOrigin;
    const originFinished = new Promise((resolve) => {
      finishOrigin = resolve;
    });
    ctx.origin.handler = (request, response) => {
      sseHeaders(response);
      response.write('id: 1\nevent: message\ndata: {"jsonrpc":"2.0","id":1,"result":{}}\n\n');
      // The second event and the end of the stream wait for the test to have read the first one.
      originFinished.then(() => {
        response.end('id: 2\ndata: {"jsonrpc":"2.0","method":"notifications/progress"}\n\n');
      });
    };
    const response = await ctx.edge.dispatchFetch(url("/everything/mcp"), {
      method: "POST",
      headers: { ...bearer(), accept: "application/json, text/event-stream" },
      body: '{"jsonrpc":"2.0","id":1,"method":"tools/call"}',
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    const reader = response.body.getReader();
    const first = await readUntil(reader, (text) => text.includes("\n\n"), 3000);
    assert.equal(first, 'id: 1\nevent: message\ndata: {"jsonrpc":"2.0","id":1,"result":{}}\n\n');
    finishOrigin();
    const rest = await readUntil(reader, (text) => text.includes("notifications/progress\"}\n\n"), 3000);
    assert.equal(rest, 'id: 2\ndata: {"jsonrpc":"2.0","method":"notifications/progress"}\n\n');
    assert.equal((await reader.read()).done, true);
  });

  it("streams a chunked non-SSE response as it arrives", async () => {
    let finishOrigin;
    const originFinished = new Promise((resolve) => {
      finishOrigin = resolve;
    });
    ctx.origin.handler = (request, response) => {
      response.writeHead(200, { "content-type": "application/x-ndjson" });
      response.write('{"part":1}\n');
      originFinished.then(() => response.end('{"part":2}\n'));
    };
    const response = await post(ctx.edge, "/everything/mcp");
    const reader = response.body.getReader();
    assert.equal(await readUntil(reader, (text) => text.includes("\n"), 3000), '{"part":1}\n');
    finishOrigin();
    assert.equal(await readUntil(reader, (text) => text.includes("\n"), 3000), '{"part":2}\n');
  });

});

describe("keep-alive on quiet SSE streams", () => {
  const ctx = withEdge({ KEEPALIVE_SECONDS: "0.3" });

  it("writes a comment when the stream has been quiet for the interval, and passes events unchanged", async () => {
    let send;
    ctx.origin.handler = (request, response) => {
      sseHeaders(response);
      send = (text) => response.write(text);
      response.write("id: 1\ndata: first\n\n");
    };
    const started = Date.now();
    const response = await ctx.edge.dispatchFetch(url("/memory/mcp"), {
      method: "GET",
      headers: { ...bearer(), accept: "text/event-stream" },
    });
    const reader = response.body.getReader();
    const text = await readUntil(reader, (t) => t.split(": keepalive\n\n").length > 2, 3000);
    assert.ok(Date.now() - started >= 550, "two comments need two quiet intervals");
    assert.ok(text.startsWith("id: 1\ndata: first\n\n: keepalive\n\n"), JSON.stringify(text));
    send("id: 2\ndata: second\n\n");
    const after = await readUntil(reader, (t) => t.includes("second\n\n"), 3000);
    assert.match(after, /^(: keepalive\n\n)*id: 2\ndata: second\n\n$/);
    await reader.cancel();
  });

  it("never splits an event: a half-sent event gets no comment until it is complete", async () => {
    let send;
    ctx.origin.handler = (request, response) => {
      sseHeaders(response);
      send = (text) => response.write(text);
      response.write("id: 1\ndata: part one\n");
    };
    const response = await ctx.edge.dispatchFetch(url("/memory/mcp"), { method: "GET", headers: bearer() });
    const reader = response.body.getReader();
    await readUntil(reader, (t) => t.includes("part one\n"), 3000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    send("data: part two\n\n");
    const text = await readUntil(reader, (t) => t.includes(": keepalive\n\n"), 3000);
    assert.ok(text.startsWith("data: part two\n\n"), JSON.stringify(text));
    await reader.cancel();
  });

  it("releases the origin stream within a keep-alive interval after the client goes away", async () => {
    let originClosedAt = null;
    ctx.origin.handler = (request, response) => {
      sseHeaders(response);
      response.write("data: hello\n\n");
      response.on("close", () => {
        originClosedAt = Date.now();
      });
    };
    const response = await ctx.edge.dispatchFetch(url("/everything/mcp"), { method: "GET", headers: bearer() });
    const reader = response.body.getReader();
    await readUntil(reader, (text) => text.includes("hello"), 3000);
    const cancelledAt = Date.now();
    await reader.cancel();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.notEqual(originClosedAt, null, "the origin connection should close after the client cancels");
    assert.ok(originClosedAt - cancelledAt < 1500, `closed after ${originClosedAt - cancelledAt} ms`);
  });

  it("adds nothing to a JSON response that takes longer than the interval", async () => {
    ctx.origin.handler = (request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.write('{"jsonrpc":"2.0",');
      setTimeout(() => response.end('"id":1,"result":{}}'), 800);
    };
    const response = await post(ctx.edge);
    assert.equal(await response.text(), '{"jsonrpc":"2.0","id":1,"result":{}}');
  });
});

describe("keep-alive interval", () => {
  const ctx = withOrigin();

  for (const value of ["100", "150", "0", "-5", "soon"]) {
    it(`refuses KEEPALIVE_SECONDS=${value}: a quiet stream would hit Cloudflare's 100 s timeout`, async () => {
      await usingEdge(edgeBindings(ctx.origin, { KEEPALIVE_SECONDS: value }), async (edge) => {
        const response = await edge.dispatchFetch(url("/memory/mcp"), { method: "GET", headers: bearer() });
        assert.equal(response.status, 500);
        assert.equal((await response.json()).error, "edge_misconfigured");
        assert.ok(edge.logs.some((line) => /KEEPALIVE_SECONDS/.test(line.message)));
      });
    });
  }
});
