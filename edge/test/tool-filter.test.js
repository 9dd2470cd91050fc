// A client whose scope names a service's tools sees only those: tools/list answers (JSON or SSE) are cut down to
// them and marked private under 2026-07-28, and a call to any other tool gets the server's unknown-tool answer.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mcpOrigin } from "./oauth-flow.js";
import { TOKENS, bearer, readUntil, url, withEdge } from "./harness.js";

const SCOPES = {
  alice: { services: ["everything", "memory"], tools: { everything: ["echo", "add"] } },
  ci: { services: ["everything", "memory"] },
};
const ORIGIN_TOOLS = ["echo", "add", "run_shell"].map((name) => ({ name, inputSchema: { type: "object" } }));
const MODERN = "2026-07-28";
const LEGACY = "2025-11-25";
const META_VERSION = "io.modelcontextprotocol/protocolVersion";

// 2026-07-28 requests also name their revision in the body.
const envelope = (revision) => (revision === MODERN ? { _meta: { [META_VERSION]: MODERN } } : {});

function listBody(revision, cursor) {
  const params = { ...(cursor ? { cursor } : {}), ...envelope(revision) };
  return { jsonrpc: "2.0", id: 4, method: "tools/list", params };
}

function callBody(tool, revision) {
  return { jsonrpc: "2.0", id: 9, method: "tools/call", params: { name: tool, arguments: {}, ...envelope(revision) } };
}

// A POST as each revision's clients send it: 2026-07-28 with its mirrored headers and no session.
function send(edge, message, { revision = LEGACY, token = TOKENS.alice, path = "/everything/mcp", headers = {} } = {}) {
  const mirrored =
    revision === MODERN
      ? { "mcp-method": message.method, ...(message.params?.name ? { "mcp-name": message.params.name } : {}) }
      : {};
  const all = {
    ...bearer(token),
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": revision,
    ...mirrored,
    ...headers,
  };
  const sent = Object.fromEntries(Object.entries(all).filter(([, value]) => value !== undefined));
  return edge.dispatchFetch(url(path), { method: "POST", headers: sent, body: JSON.stringify(message) });
}

function answerJson(result) {
  return (request, response, body) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ jsonrpc: "2.0", id: JSON.parse(body).id, result }));
  };
}

const names = (answer) => answer.result.tools.map((tool) => tool.name);

describe("tool lists of a client limited to some tools", () => {
  const ctx = withEdge({ CLIENT_SCOPES: JSON.stringify(SCOPES) });

  it("cuts a JSON list down to the allowed tools, keeping its cursor; no cache fields under 2025-11-25", async () => {
    ctx.origin.handler = answerJson({ tools: ORIGIN_TOOLS, nextCursor: "page-2" });
    const response = await send(ctx.edge, listBody(LEGACY));
    assert.equal(response.status, 200);
    const answer = await response.json();
    assert.equal(answer.id, 4);
    assert.deepEqual(names(answer), ["echo", "add"]);
    assert.deepEqual(answer.result.tools[0], ORIGIN_TOOLS[0]);
    assert.equal(answer.result.nextCursor, "page-2");
    assert.ok(!("ttlMs" in answer.result) && !("cacheScope" in answer.result), JSON.stringify(answer.result));
  });

  it("passes the cursor of a next page to the origin and filters that page too", async () => {
    ctx.origin.handler = answerJson({ tools: ORIGIN_TOOLS.slice(2) });
    const response = await send(ctx.edge, listBody(LEGACY, "page-2"));
    const answer = await response.json();
    assert.equal(JSON.parse(ctx.origin.requests.at(-1).body).params.cursor, "page-2");
    assert.deepEqual(answer.result.tools, []);
    assert.ok(!("nextCursor" in answer.result));
  });

  it("marks the cut-down list private under 2026-07-28, keeping the origin's lifetime", async () => {
    ctx.origin.handler = answerJson({ tools: ORIGIN_TOOLS, ttlMs: 60000, cacheScope: "public", nextCursor: "p2" });
    const answer = await (await send(ctx.edge, listBody(MODERN), { revision: MODERN })).json();
    assert.deepEqual(names(answer), ["echo", "add"]);
    assert.equal(answer.result.cacheScope, "private");
    assert.equal(answer.result.ttlMs, 60000);
    assert.equal(answer.result.nextCursor, "p2");
  });

  it("knows 2026-07-28 from the body's _meta alone, and gives a list without a lifetime ttlMs 0", async () => {
    ctx.origin.handler = answerJson({ tools: ORIGIN_TOOLS });
    const response = await send(ctx.edge, listBody(MODERN), { headers: { "mcp-protocol-version": undefined } });
    const answer = await response.json();
    assert.equal(ctx.origin.requests.at(-1).headers["mcp-protocol-version"], undefined);
    assert.deepEqual(names(answer), ["echo", "add"]);
    assert.deepEqual([answer.result.ttlMs, answer.result.cacheScope], [0, "private"]);
  });

  for (const revision of [LEGACY, MODERN]) {
    it(`cuts down the list in an SSE answer (${revision}), passing the other events through as they come`, async () => {
      const notification =
        'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message",\ndata: "params":{}}\n\n';
      const list = { jsonrpc: "2.0", id: 4, result: { tools: ORIGIN_TOOLS, nextCursor: "page-2" } };
      let finishOrigin;
      const released = new Promise((resolve) => {
        finishOrigin = resolve;
      });
      ctx.origin.handler = (request, response) => {
        response.writeHead(200, { "content-type": "text/event-stream" });
        response.write(notification);
        const event = `event: message\r\nid: stream-1:7\r\ndata: ${JSON.stringify(list)}\r\n\r\n`;
        // Split inside the data line and between CR and LF, where a naive reader would cut the event.
        released.then(() => {
          response.write(event.slice(0, 40));
          setTimeout(() => response.write(event.slice(40, -1)), 20);
          setTimeout(() => response.end(event.slice(-1)), 40);
        });
      };
      const response = await send(ctx.edge, listBody(revision), { revision });
      assert.equal(response.headers.get("content-type"), "text/event-stream");
      const reader = response.body.getReader();
      assert.equal(await readUntil(reader, (text) => text.endsWith("\n\n"), 3000), notification);
      finishOrigin();
      const rest = await readUntil(reader, (text) => text.endsWith("\r\n\r\n"), 3000);
      const lines = rest.split("\r\n");
      assert.deepEqual(lines.slice(0, 2), ["event: message", "id: stream-1:7"]);
      assert.deepEqual(lines.slice(3), ["", ""]);
      const answer = JSON.parse(lines[2].replace(/^data: /, ""));
      assert.deepEqual(names(answer), ["echo", "add"]);
      assert.equal(answer.result.nextCursor, "page-2");
      const cache = revision === MODERN ? [0, "private"] : [undefined, undefined];
      assert.deepEqual([answer.result.ttlMs, answer.result.cacheScope], cache);
    });
  }

  it("cuts down a list the origin replays on a resumed stream (GET with Last-Event-ID)", async () => {
    const list = { jsonrpc: "2.0", id: 4, result: { tools: ORIGIN_TOOLS } };
    ctx.origin.handler = (request, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.end(`id: stream-1:8\ndata: ${JSON.stringify(list)}\n\n`);
    };
    const response = await ctx.edge.dispatchFetch(url("/everything/mcp"), {
      method: "GET",
      headers: { ...bearer(), accept: "text/event-stream", "last-event-id": "stream-1:7" },
    });
    const text = await response.text();
    assert.deepEqual(names(JSON.parse(/^data: (.*)$/m.exec(text)[1])), ["echo", "add"]);
  });

  it("leaves lists as they came for a client without tool limits and for services left open", async () => {
    const result = { tools: ORIGIN_TOOLS, ttlMs: 5000, cacheScope: "public", nextCursor: "page-2" };
    ctx.origin.handler = answerJson(result);
    for (const [token, path] of [
      [TOKENS.ci, "/everything/mcp"],
      [TOKENS.alice, "/memory/mcp"],
    ]) {
      const answer = await (await send(ctx.edge, listBody(MODERN), { revision: MODERN, token, path })).json();
      assert.deepEqual(answer.result, result, path);
    }
  });

  it("refuses a batch from the limited client, whose messages it would not check one by one", async () => {
    const forwarded = ctx.origin.requests.length;
    const response = await send(ctx.edge, [listBody(LEGACY), callBody("run_shell", LEGACY)]);
    assert.equal(response.status, 400);
    const answer = await response.json();
    assert.equal(answer.error.code, -32600);
    assert.match(answer.error.message, /one JSON-RPC request per POST/);
    assert.equal(ctx.origin.requests.length, forwarded);
  });

  it("refuses a body it cannot read, which a server's more lenient parser might run as a call of a hidden tool", async () => {
    const forwarded = ctx.origin.requests.length;
    // Python's JSON parsers read NaN; this one does not, so it could not check the tool named.
    const body = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"run_shell","arguments":{"n":NaN}}}`;
    const headers = { ...bearer(TOKENS.alice), "content-type": "application/json", accept: "application/json, text/event-stream" };
    const response = await ctx.edge.dispatchFetch(url("/everything/mcp"), { method: "POST", headers, body });
    assert.equal(response.status, 400);
    assert.equal((await response.json()).error.code, -32700);
    assert.equal(ctx.origin.requests.length, forwarded, "nothing reached the origin");
  });
});

describe("calls to a hidden tool", () => {
  const scopes = { alice: { services: ["everything"], tools: { everything: ["echo"] } }, ci: SCOPES.ci };
  const ctx = withEdge({ CLIENT_SCOPES: JSON.stringify(scopes) });
  const records = () =>
    ctx.edge.logs.map((line) => line.message).filter((message) => message.includes('"mcp_request"')).map(JSON.parse);
  const mentions = (request, tool) => request.body.includes(tool) || JSON.stringify(request.headers).includes(tool);

  it("answers a 2025-11-25 call exactly as the server answers one to a tool it does not have", async () => {
    // The suite's servers' own SDK (McpServer) at the origin; it has echo and delete_everything.
    mcpOrigin(ctx.origin);
    const absent = await send(ctx.edge, callBody("no_such_tool", LEGACY), { token: TOKENS.ci });
    const fromServer = await absent.text();
    assert.match(fromServer, /Tool no_such_tool not found/);
    const forwarded = ctx.origin.requests.length;
    const hidden = await send(ctx.edge, callBody("delete_everything", LEGACY));
    assert.equal(hidden.status, absent.status);
    assert.equal(hidden.headers.get("content-type"), absent.headers.get("content-type"));
    assert.equal(await hidden.text(), fromServer.replaceAll("no_such_tool", "delete_everything"));
    const seen = ctx.origin.requests.slice(forwarded);
    assert.equal(seen.length, 1);
    assert.ok(!mentions(seen[0], "delete_everything"), "the origin was asked for the hidden tool");
  });

  it("answers a 2026-07-28 call in the server's own words and revision, its stream and identity included", async () => {
    // A 2026-07-28 server's answer for a tool it does not have, streamed: resultType and the server's identity.
    ctx.origin.handler = (request, response, body) => {
      const { id, params } = JSON.parse(body);
      const result = {
        content: [{ type: "text", text: `Unknown tool: ${params.name}` }],
        isError: true,
        resultType: "complete",
        _meta: { "io.modelcontextprotocol/serverInfo": { name: "everything", version: "2.0.0" } },
      };
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.end(`event: message\ndata: ${JSON.stringify({ jsonrpc: "2.0", id, result })}\n\n`);
    };
    const forwarded = ctx.origin.requests.length;
    const response = await send(ctx.edge, callBody("delete_everything", MODERN), { revision: MODERN });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    const answer = JSON.parse(/^data: (.*)$/m.exec(await response.text())[1]);
    assert.equal(answer.id, 9);
    assert.deepEqual(answer.result.content, [{ type: "text", text: "Unknown tool: delete_everything" }]);
    assert.equal(answer.result.resultType, "complete");
    assert.equal(answer.result._meta["io.modelcontextprotocol/serverInfo"].name, "everything");
    const [seen] = ctx.origin.requests.slice(forwarded);
    // Headers and body still agree at the origin, which checks them too.
    assert.equal(seen.headers["mcp-name"], JSON.parse(seen.body).params.name);
    assert.equal(seen.headers["mcp-session-id"], undefined);
    assert.ok(!mentions(seen, "delete_everything"), "the origin was asked for the hidden tool");
  });

  it("judges the body's tool: a header naming an allowed tool instead gets the spec's mismatch error", async () => {
    const forwarded = ctx.origin.requests.length;
    const response = await send(ctx.edge, callBody("delete_everything", MODERN), {
      revision: MODERN,
      headers: { "mcp-name": "echo" },
    });
    assert.equal(response.status, 400);
    assert.equal((await response.json()).error.code, -32020);
    assert.equal(ctx.origin.requests.length, forwarded);
  });

  it("forwards a call to an allowed tool as it came, and audits the hidden one as hidden", async () => {
    mcpOrigin(ctx.origin);
    const allowed = await send(ctx.edge, callBody("echo", LEGACY));
    assert.equal(allowed.status, 200);
    assert.equal(JSON.parse(ctx.origin.requests.at(-1).body).params.name, "echo");
    await (await send(ctx.edge, callBody("delete_everything", LEGACY))).arrayBuffer();
    const record = records().at(-1);
    assert.deepEqual(
      [record.client, record.tool, record.status, record.toolHidden],
      ["alice", "delete_everything", 200, true],
    );
    assert.ok(!records().some((entry) => entry.tool === "echo" && "toolHidden" in entry));
  });
});

describe("no session affinity", () => {
  const ctx = withEdge({ CLIENT_SCOPES: JSON.stringify(SCOPES) });

  it("forwards a 2026-07-28 request, sessionless, as any other, and a 2025-11-25 session id unchanged", async () => {
    ctx.origin.handler = answerJson({ tools: ORIGIN_TOOLS });
    // A cookie a load balancer set for stickiness is not passed on: nothing pins a request to a pod.
    const modern = await send(ctx.edge, listBody(MODERN), { revision: MODERN, headers: { cookie: "route=pod-a" } });
    await modern.arrayBuffer();
    const modernSeen = ctx.origin.requests.at(-1).headers;
    assert.equal(modernSeen["mcp-session-id"], undefined);
    assert.equal(modernSeen.cookie, undefined);
    const session = { "mcp-session-id": "1868a90c-c0a2-4b8e-9e8a-2f6f0a0f0c3d" };
    const legacy = await send(ctx.edge, listBody(LEGACY), { headers: session });
    await legacy.arrayBuffer();
    assert.equal(ctx.origin.requests.at(-1).headers["mcp-session-id"], session["mcp-session-id"]);
    for (const response of [modern, legacy]) {
      assert.equal(response.headers.get("set-cookie"), null);
      assert.equal(response.headers.get("mcp-session-id"), null);
    }
  });
});
