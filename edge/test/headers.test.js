// What crosses the edge: MCP headers forwarded, identity and hop-by-hop headers replaced, CORS, no origin internals.

import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import {
  PUBLIC_HOSTNAME,
  TOKENS,
  bearer,
  edgeBindings,
  post,
  rawRequest,
  url,
  usingEdge,
  withEdge,
} from "./harness.js";

const ALLOWED_ORIGIN = "https://console.example.test";

describe("request headers", () => {
  const ctx = withEdge();

  it("forwards the MCP session, protocol version and Last-Event-ID headers unchanged", async () => {
    const response = await ctx.edge.dispatchFetch(url("/memory/mcp"), {
      method: "GET",
      headers: {
        ...bearer(),
        accept: "text/event-stream",
        "mcp-session-id": "1868a90c-c0a2-4b8e-9e8a-2f6f0a0f0c3d",
        "mcp-protocol-version": "2025-11-25",
        "last-event-id": "stream-1:42",
      },
    });
    await response.arrayBuffer();
    const seen = ctx.origin.requests.at(-1).headers;
    assert.equal(seen["mcp-session-id"], "1868a90c-c0a2-4b8e-9e8a-2f6f0a0f0c3d");
    assert.equal(seen["mcp-protocol-version"], "2025-11-25");
    assert.equal(seen["last-event-id"], "stream-1:42");
    assert.equal(seen.accept, "text/event-stream");
  });

  it("replaces client-supplied identity and forwarding headers with its own, drops hop-by-hop ones", async () => {
    const response = await ctx.edge.dispatchFetch(url("/memory/mcp"), {
      method: "POST",
      headers: {
        ...bearer(),
        "content-type": "application/json",
        "cf-connecting-ip": "203.0.113.7",
        "x-forwarded-for": "10.0.0.1",
        "x-forwarded-host": "internal.example",
        "x-forwarded-proto": "http",
        forwarded: "for=10.0.0.1;host=internal.example",
        "x-real-ip": "10.0.0.1",
        "true-client-ip": "10.0.0.1",
        "x-mcp-client": "admin",
        "x-request-id": "client-chosen",
        "x-forwarded-user": "root",
        "x-auth-request-email": "root@example.com",
        "x-remote-user": "root",
        cookie: "session=stolen",
        "proxy-authorization": "Basic cm9vdDpyb290",
        te: "trailers",
        "x-custom": "anything",
      },
      body: "{}",
    });
    assert.equal(response.status, 200);
    await response.arrayBuffer();
    const seen = ctx.origin.requests.at(-1).headers;
    assert.equal(seen["x-forwarded-for"], "203.0.113.7");
    assert.equal(seen["x-forwarded-host"], PUBLIC_HOSTNAME);
    assert.equal(seen["x-forwarded-proto"], "https");
    assert.equal(seen["x-mcp-client"], "alice");
    assert.match(seen["x-request-id"], /^[0-9a-f-]{36}$/);
    assert.equal(seen["x-request-id"], response.headers.get("x-request-id"));
    for (const name of [
      "authorization",
      "forwarded",
      "x-real-ip",
      "true-client-ip",
      "x-forwarded-user",
      "x-auth-request-email",
      "x-remote-user",
      "cookie",
      "proxy-authorization",
      "te",
      "x-custom",
      "cf-connecting-ip",
    ]) {
      assert.equal(seen[name], undefined, `${name} must not reach the origin`);
    }
  });

  it("gives every request its own id, in the response and in error bodies", async () => {
    const first = await ctx.edge.dispatchFetch(url("/memory/mcp"), { method: "POST", body: "{}" });
    const second = await ctx.edge.dispatchFetch(url("/memory/mcp"), { method: "POST", body: "{}" });
    const body = await first.json();
    await second.arrayBuffer();
    assert.equal(body.requestId, first.headers.get("x-request-id"));
    assert.notEqual(first.headers.get("x-request-id"), second.headers.get("x-request-id"));
  });

  for (const [name, value, message] of [
    ["MCP-Protocol-Version", "2025", /MCP-Protocol-Version/],
    ["MCP-Protocol-Version", "2025-11-25; drop", /MCP-Protocol-Version/],
    ["Mcp-Session-Id", "has space", /Mcp-Session-Id/],
    ["Mcp-Session-Id", "x".repeat(257), /Mcp-Session-Id/],
    ["Last-Event-ID", "é", /Last-Event-ID/],
  ]) {
    it(`answers 400 for a malformed ${name}: ${JSON.stringify(value.slice(0, 20))}`, async () => {
      const forwarded = ctx.origin.requests.length;
      const response = await ctx.edge.dispatchFetch(url("/memory/mcp"), {
        method: "POST",
        headers: { ...bearer(), [name]: value },
        body: "{}",
      });
      assert.equal(response.status, 400);
      const body = await response.json();
      assert.equal(body.error, "bad_header");
      assert.match(body.message, message);
      assert.equal(ctx.origin.requests.length, forwarded);
    });
  }

  it("answers 400 for a session id with a control character (sent as raw bytes)", async () => {
    const response = await rawRequest(
      ctx.edge,
      `POST /memory/mcp HTTP/1.1\r\nHost: ${PUBLIC_HOSTNAME}\r\nAuthorization: Bearer ${TOKENS.alice}\r\n` +
        "Mcp-Session-Id: a\x01b\r\nContent-Length: 2\r\n\r\n{}",
    );
    assert.equal(response.status, 400);
    assert.equal(JSON.parse(response.body).error, "bad_header");
  });

  it("refuses a token with a trailing control character (sent as raw bytes)", async () => {
    const response = await rawRequest(
      ctx.edge,
      `GET /memory/mcp HTTP/1.1\r\nHost: ${PUBLIC_HOSTNAME}\r\nAuthorization: Bearer ${TOKENS.alice}\x7f\r\n\r\n`,
    );
    assert.equal(response.status, 401);
  });

  it("answers a raw TRACE with 405", async () => {
    const response = await rawRequest(ctx.edge, `TRACE /memory/mcp HTTP/1.1\r\nHost: ${PUBLIC_HOSTNAME}\r\n\r\n`);
    assert.equal(response.status, 405);
  });

  it("answers a percent sign that starts no escape with 404 after authentication", async () => {
    const response = await rawRequest(
      ctx.edge,
      `GET /%zz/mcp HTTP/1.1\r\nHost: ${PUBLIC_HOSTNAME}\r\nAuthorization: Bearer ${TOKENS.alice}\r\n\r\n`,
    );
    assert.equal(response.status, 404);
  });

  for (const [label, text] of [
    ["an absolute-form target for another host", "GET http://internal.example/memory/mcp HTTP/1.1"],
    ["a non-numeric Content-Length", "POST /memory/mcp HTTP/1.1\r\nContent-Length: abc"],
    ["conflicting Content-Length headers", "POST /memory/mcp HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3"],
    ["CONNECT", "CONNECT internal.example:443 HTTP/1.1"],
    ["an invalid port in Host", "GET /memory/mcp HTTP/1.1\r\nHost: mcp.example.test:99999"],
  ]) {
    it(`never forwards a request with ${label}`, async () => {
      const forwarded = ctx.origin.requests.length;
      const head = text.includes("Host:") ? text : `${text}\r\nHost: ${PUBLIC_HOSTNAME}`;
      const response = await rawRequest(ctx.edge, `${head}\r\nAuthorization: Bearer ${TOKENS.alice}\r\n\r\n{}`);
      assert.ok(response.status >= 400, `status ${response.status}`);
      assert.equal(ctx.origin.requests.length, forwarded);
    });
  }
});

// Revision 2026-07-28 (SEP-2243): every POST mirrors its method, and a named call its name, in headers.
describe("standard MCP headers", () => {
  const ctx = withEdge();
  const META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
  };
  const call = (name) =>
    JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name, arguments: {}, _meta: META } });
  const send = (headers, body = call("echo")) =>
    ctx.edge.dispatchFetch(url("/memory/mcp"), {
      method: "POST",
      headers: { ...bearer(), "content-type": "application/json", ...headers },
      body,
    });

  it("forwards Mcp-Method, Mcp-Name and every Mcp-Param-* header that agree with the body", async () => {
    const response = await send({
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": "tools/call",
      "mcp-name": "echo",
      "mcp-param-region": "eu-west",
      "mcp-param-note": "=?base64?w6nDqQ==?=",
    });
    await response.arrayBuffer();
    assert.equal(response.status, 200);
    const seen = ctx.origin.requests.at(-1).headers;
    assert.equal(seen["mcp-method"], "tools/call");
    assert.equal(seen["mcp-name"], "echo");
    assert.equal(seen["mcp-param-region"], "eu-west");
    assert.equal(seen["mcp-param-note"], "=?base64?w6nDqQ==?=");
  });

  it("compares a base64-wrapped Mcp-Name with the body's name after decoding it", async () => {
    const name = "caf\u00e9";
    const wrapped = `=?base64?${Buffer.from(name, "utf8").toString("base64")}?=`;
    const response = await send(
      { "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": wrapped },
      call(name),
    );
    await response.arrayBuffer();
    assert.equal(response.status, 200);
  });

  for (const [label, headers, expected] of [
    ["a method header that disagrees", { "mcp-method": "tools/list", "mcp-name": "echo" }, "Mcp-Method"],
    ["a name header that disagrees", { "mcp-method": "tools/call", "mcp-name": "rm" }, "Mcp-Name"],
    ["a 2026-07-28 request without Mcp-Method", {}, "Mcp-Method"],
    ["a 2026-07-28 call without Mcp-Name", { "mcp-method": "tools/call" }, "Mcp-Name"],
  ]) {
    it(`refuses ${label} with the spec's JSON-RPC error, before the origin`, async () => {
      const forwarded = ctx.origin.requests.length;
      const response = await send({ "mcp-protocol-version": "2026-07-28", ...headers });
      assert.equal(response.status, 400);
      const answer = await response.json();
      assert.equal(answer.id, 3);
      assert.equal(answer.error.code, -32020);
      assert.match(answer.error.message, new RegExp(expected));
      assert.equal(ctx.origin.requests.length, forwarded);
    });
  }

  it("lets a 2025-11-25 request through without the mirrored headers", async () => {
    const body = JSON.stringify({ jsonrpc: "2.0", id: 4, method: "tools/call", params: { name: "echo" } });
    const response = await send({ "mcp-protocol-version": "2025-11-25" }, body);
    await response.arrayBuffer();
    assert.equal(response.status, 200);
  });

  it("refuses an Mcp-Param header whose base64 value is not UTF-8", async () => {
    const response = await send({
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": "tools/call",
      "mcp-name": "echo",
      "mcp-param-x": "=?base64?/w==?=",
    });
    assert.equal(response.status, 400);
    assert.equal((await response.json()).error, "bad_header");
  });
});

describe("CORS", () => {
  const ctx = withEdge();
  before(() => {
    ctx.origin.handler = (request, response) => {
      response.writeHead(200, { "content-type": "application/json", "mcp-session-id": "s-1" });
      response.end("{}");
    };
  });

  it("answers a preflight from an allowed origin without a token", async () => {
    const response = await ctx.edge.dispatchFetch(url("/memory/mcp"), {
      method: "OPTIONS",
      headers: {
        origin: ALLOWED_ORIGIN,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type, mcp-session-id",
      },
    });
    assert.equal(response.status, 204);
    assert.equal(response.headers.get("access-control-allow-origin"), ALLOWED_ORIGIN);
    assert.equal(response.headers.get("access-control-allow-methods"), "POST, GET, DELETE, OPTIONS");
    assert.match(response.headers.get("access-control-allow-headers"), /Mcp-Session-Id/);
    assert.match(response.headers.get("access-control-allow-headers"), /Authorization/);
    assert.match(response.headers.get("vary"), /Origin/);
    assert.equal(ctx.origin.requests.length, 0);
  });

  it("refuses a preflight and a request from any other origin with 403 and no CORS headers", async () => {
    for (const method of ["OPTIONS", "POST"]) {
      const response = await ctx.edge.dispatchFetch(url("/memory/mcp"), {
        method,
        headers: { ...bearer(), origin: "https://evil.example" },
        body: method === "POST" ? "{}" : undefined,
      });
      assert.equal(response.status, 403, method);
      assert.equal(response.headers.get("access-control-allow-origin"), null);
      assert.equal((await response.json()).error, "origin_not_allowed");
    }
    assert.equal(ctx.origin.requests.length, 0);
  });

  it("lets a browser on an allowed origin read the session id", async () => {
    const response = await ctx.edge.dispatchFetch(url("/memory/mcp"), {
      method: "POST",
      headers: { ...bearer(), origin: ALLOWED_ORIGIN },
      body: "{}",
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("access-control-allow-origin"), ALLOWED_ORIGIN);
    assert.match(response.headers.get("access-control-expose-headers"), /Mcp-Session-Id/);
    assert.equal(response.headers.get("mcp-session-id"), "s-1");
    await response.arrayBuffer();
  });

  it("adds no CORS headers for clients that send no Origin", async () => {
    const response = await post(ctx.edge);
    assert.equal(response.headers.get("access-control-allow-origin"), null);
    await response.arrayBuffer();
  });
});

describe("origin responses", () => {
  const ctx = withEdge();

  it("passes MCP headers and statuses back and drops the origin's software headers", async () => {
    ctx.origin.handler = (request, response) => {
      response.writeHead(404, {
        "content-type": "application/json",
        "mcp-session-id": "s-2",
        server: "nginx/1.27.3",
        "x-powered-by": "Express",
        via: "1.1 ingress-nginx",
        "keep-alive": "timeout=5",
        connection: "keep-alive, x-ingress-hop",
        "x-ingress-hop": "pod mcp-memory-0",
      });
      response.end('{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"Session not found"}}');
    };
    const response = await post(ctx.edge);
    assert.equal(response.status, 404);
    assert.equal(response.headers.get("mcp-session-id"), "s-2");
    for (const name of ["server", "x-powered-by", "via", "keep-alive", "connection", "x-ingress-hop"]) {
      assert.equal(response.headers.get(name), null, name);
    }
    assert.equal((await response.json()).error.message, "Session not found");
  });

  it("replaces a 5xx body with a JSON error that names no internals", async () => {
    ctx.origin.handler = (request, response) => {
      response.writeHead(500, { "content-type": "text/html", server: "nginx" });
      response.end("<h1>Traceback at /srv/app/server.py line 12 in pod mcp-memory-0 (10.42.0.17)</h1>");
    };
    const response = await post(ctx.edge);
    assert.equal(response.status, 502);
    assert.equal(response.headers.get("content-type"), "application/json");
    const text = await response.text();
    assert.deepEqual(Object.keys(JSON.parse(text)).sort(), ["error", "message", "requestId"]);
    assert.doesNotMatch(text, /Traceback|10\.42|mcp-memory-0|nginx/);
    assert.ok(ctx.edge.logs.some((line) => /origin_error/.test(line.message) && /"status":500/.test(line.message)));
  });

  it("keeps a gateway timeout a 504", async () => {
    ctx.origin.handler = (request, response) => {
      response.writeHead(504);
      response.end("upstream timed out (110: Connection timed out) while reading from 10.42.0.17:8000");
    };
    const response = await post(ctx.edge);
    assert.equal(response.status, 504);
    assert.doesNotMatch(await response.text(), /10\.42/);
  });

  it("does not follow or reveal an origin redirect", async () => {
    ctx.origin.handler = (request, response) => {
      response.writeHead(302, { location: "http://mcp-memory.mcp-prod.svc.cluster.local:8000/mcp" });
      response.end();
    };
    const response = await post(ctx.edge);
    assert.equal(response.status, 502);
    assert.equal(response.headers.get("location"), null);
    assert.doesNotMatch(await response.text(), /cluster\.local/);
  });

  it("answers 502 without the origin's address when the origin is down", async () => {
    await usingEdge(edgeBindings({ host: "127.0.0.1:1" }), async (down) => {
      const response = await post(down);
      assert.equal(response.status, 502);
      const text = await response.text();
      assert.equal(JSON.parse(text).error, "origin_unreachable");
      assert.doesNotMatch(text, /127\.0\.0\.1/);
    });
  });
});
