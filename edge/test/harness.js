// Test harness: the worker in workerd (through Miniflare) in front of a real HTTP origin on 127.0.0.1.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { after, before } from "node:test";
import { Miniflare } from "miniflare";
import { readBundle } from "../build.js";

const here = new URL("..", import.meta.url);
// The bundle Cloudflare receives (edge/build.js), refused when built from other sources than these.
export const WORKER_SOURCE = readBundle();
const PACKAGE = JSON.parse(readFileSync(new URL("package.json", here), "utf8"));
export const COMPATIBILITY_DATE = PACKAGE.config.compatibilityDate;
// The script's flags on Cloudflare (components/render/edge_worker.py COMPATIBILITY_FLAGS, checked equal).
export const COMPATIBILITY_FLAGS = PACKAGE.config.compatibilityFlags;

export const PUBLIC_HOSTNAME = "mcp.example.test";
export const SERVICES = ["everything", "memory", "sequential-thinking"];
export const TOKENS = { alice: "alice-token-0123456789abcdef", ci: "ci.token_with-allowed~chars+/=" };

export function sha256Hex(text) {
  return createHash("sha256").update(text).digest("hex");
}

// An origin whose answer each test chooses; it records every request it receives.
export async function startOrigin() {
  const origin = {
    requests: [],
    handler: (request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ jsonrpc: "2.0", id: 1, result: {} }));
    },
  };
  origin.server = createServer((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      origin.requests.push({ method: request.method, url: request.url, headers: request.headers, body });
      origin.handler(request, response, body);
    });
  });
  await new Promise((resolve) => origin.server.listen(0, "127.0.0.1", resolve));
  origin.host = `127.0.0.1:${origin.server.address().port}`;
  origin.close = () =>
    new Promise((resolve) => {
      origin.server.closeAllConnections();
      origin.server.close(resolve);
    });
  return origin;
}

export function edgeBindings(origin, overrides = {}) {
  return {
    ORIGIN_HOST: origin.host,
    // Plain HTTP only because the test origin is on loopback; the Pulumi component always sets https.
    ORIGIN_SCHEME: "http",
    PUBLIC_HOSTNAME,
    SERVICES: JSON.stringify(SERVICES),
    TOKEN_HASHES: JSON.stringify(Object.fromEntries(Object.entries(TOKENS).map(([n, t]) => [n, sha256Hex(t)]))),
    ALLOWED_ORIGINS: JSON.stringify(["https://console.example.test"]),
    MAX_BODY_BYTES: "1024",
    KEEPALIVE_SECONDS: "25",
    ...overrides,
  };
}

// The worker's console output is collected in `edge.logs` (one entry per line) instead of cluttering the report.
// The per-client rate limiter, generous enough that only the tests about it reach it.
export const RATE_LIMITS = { CLIENT_RATE_LIMIT: { simple: { limit: 10000, period: 60 } } };

export function startEdge(bindings, options = {}) {
  const cleaned = Object.fromEntries(Object.entries(bindings).filter(([, value]) => value !== undefined));
  const logs = [];
  const edge = new Miniflare({
    modules: true,
    script: WORKER_SOURCE,
    scriptPath: "worker.js",
    compatibilityDate: COMPATIBILITY_DATE,
    compatibilityFlags: COMPATIBILITY_FLAGS,
    bindings: cleaned,
    ratelimits: RATE_LIMITS,
    handleStructuredLogs: ({ message, level }) => {
      logs.push({ level, message });
    },
    ...options,
  });
  edge.logs = logs;
  return edge;
}

// For a describe block: an origin, started before its tests and closed after them, as `ctx.origin`.
export function withOrigin() {
  const ctx = {};
  before(async () => {
    ctx.origin = await startOrigin();
  });
  after(() => ctx.origin.close());
  return ctx;
}

// For a describe block: an origin and the edge in front of it, as `ctx.origin` and `ctx.edge`.
export function withEdge(overrides = {}, options = {}) {
  const ctx = withOrigin();
  before(() => {
    ctx.edge = startEdge(edgeBindings(ctx.origin, overrides), options);
  });
  after(() => ctx.edge.dispose());
  return ctx;
}

// An edge for one test, disposed when `use(edge)` is done.
export async function usingEdge(bindings, use) {
  const edge = startEdge(bindings);
  try {
    return await use(edge);
  } finally {
    await edge.dispose();
  }
}

export function url(path) {
  return `https://${PUBLIC_HOSTNAME}${path}`;
}

export function bearer(token = TOKENS.alice) {
  return { authorization: `Bearer ${token}` };
}

// The most common request of these tests: a small JSON-RPC body, POSTed with a valid token.
export function post(edge, path = "/memory/mcp") {
  return edge.dispatchFetch(url(path), { method: "POST", headers: bearer(), body: "{}" });
}

// Reads a streamed body until `predicate(text so far)` holds; fails if that takes longer than `ms`.
export async function readUntil(reader, predicate, ms = 5000) {
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + ms;
  while (!predicate(text)) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new Error(`timed out; received so far: ${JSON.stringify(text)}`);
    }
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out; received so far: ${JSON.stringify(text)}`)), remaining);
    });
    try {
      const { done, value } = await Promise.race([reader.read(), timeout]);
      if (done) {
        break;
      }
      text += decoder.decode(value, { stream: true });
    } finally {
      clearTimeout(timer);
    }
  }
  return text;
}

// Sends bytes as they are to the edge's local HTTP socket, for requests a fetch client refuses to build.
// Resolves with the status line and the body once the response is complete.
export async function rawRequest(edge, text) {
  const { connect } = await import("node:net");
  const ready = await edge.ready;
  return new Promise((resolve, reject) => {
    const socket = connect(Number(ready.port), ready.hostname, () => socket.write(text));
    let data = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete response; got ${JSON.stringify(data.toString())}`));
    }, 5000);
    const done = (response) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(response);
    };
    socket.on("data", (chunk) => {
      data = Buffer.concat([data, chunk]);
      const text = data.toString("latin1");
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) {
        return;
      }
      const head = text.slice(0, end);
      const status = Number(head.split(" ")[1]);
      const rest = text.slice(end + 4);
      const length = /\r\ncontent-length: *(\d+)/i.exec(head);
      if (length && rest.length >= Number(length[1])) {
        done({ status, head, body: rest.slice(0, Number(length[1])) });
      } else if (/\r\ntransfer-encoding: *chunked/i.test(head) && rest.endsWith("0\r\n\r\n")) {
        done({ status, head, body: rest });
      } else if (!length && !/transfer-encoding/i.test(head)) {
        done({ status, head, body: rest });
      }
    });
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
