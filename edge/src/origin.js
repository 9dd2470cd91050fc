// The way to the origin and back: what crosses in each direction, and what the origin's answer becomes.

import { FORWARDED_MCP_HEADERS, MCP_PARAM_PREFIX } from "./mcp-headers.js";
import { jsonError } from "./responses.js";
import { rewritingEvents, withKeepalive } from "./sse.js";

const FORWARDED_REQUEST_HEADERS = ["accept", "accept-encoding", "accept-language", "content-type", "user-agent"];
const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];
// Origin response headers that describe the cluster's software rather than the MCP exchange.
const ORIGIN_INTERNAL_HEADERS = ["server", "via", "x-powered-by"];

// Sends the request on to the service at the origin, with `body` and what `headers` may pass on, and relays its
// answer. `rewrite` (or null) changes the JSON-RPC messages of the answer, JSON or a stream of events.
export async function forward(request, url, config, ctx, { service, clientName, body, headers, requestId, rewrite }) {
  const upstreamUrl = `${config.originScheme}://${config.originHost}/${service}/mcp${url.search}`;
  let upstream;
  try {
    upstream = await config.origin.fetch(upstreamUrl, {
      method: request.method,
      headers: upstreamHeaders(headers, clientName, requestId, url.hostname),
      body,
      redirect: "manual",
    });
  } catch (error) {
    console.error(JSON.stringify({ requestId, event: "origin_unreachable", service, message: String(error.message) }));
    return jsonError(502, "origin_unreachable", "The MCP service could not be reached.", requestId);
  }
  return relay(upstream, config, ctx, requestId, service, rewrite);
}

function upstreamHeaders(incoming, clientName, requestId, publicHostname) {
  // Allow-list: only what MCP needs crosses to the origin, so client-supplied identity, forwarding and
  // hop-by-hop headers (X-Forwarded-*, Forwarded, X-Real-IP, cookies, the edge token itself) never do.
  const headers = new Headers();
  for (const name of [...FORWARDED_REQUEST_HEADERS, ...FORWARDED_MCP_HEADERS]) {
    const value = incoming.get(name);
    if (value !== null) {
      headers.set(name, value);
    }
  }
  for (const [name, value] of incoming) {
    if (name.startsWith(MCP_PARAM_PREFIX)) {
      headers.set(name, value); // names and values checked in checkMcpHeaders
    }
  }
  // Cloudflare sets CF-Connecting-IP itself and overwrites any value a client sent.
  const clientIp = incoming.get("cf-connecting-ip");
  if (clientIp !== null) {
    headers.set("x-forwarded-for", clientIp);
  }
  headers.set("x-forwarded-proto", "https");
  headers.set("x-forwarded-host", publicHostname);
  headers.set("x-request-id", requestId);
  headers.set("x-mcp-client", clientName);
  return headers;
}

async function relay(upstream, config, ctx, requestId, service, rewrite) {
  if (upstream.status >= 300 && upstream.status < 400) {
    // A redirect would point at the origin's own hostname.
    upstream.body?.cancel().catch(() => {});
    return jsonError(502, "origin_redirect", "The MCP service answered with a redirect.", requestId);
  }
  if (upstream.status >= 500) {
    // Error pages of the ingress or a crashing server can carry stack traces and internal names.
    upstream.body?.cancel().catch(() => {});
    console.error(JSON.stringify({ requestId, event: "origin_error", service, status: upstream.status }));
    return jsonError(upstream.status === 504 ? 504 : 502, "origin_error", "The MCP service failed.", requestId);
  }
  const headers = new Headers(upstream.headers);
  // RFC 9110: headers named in Connection are hop-by-hop too.
  const named = (headers.get("connection") ?? "").split(",").map((name) => name.trim().toLowerCase());
  for (const name of [...HOP_BY_HOP, ...ORIGIN_INTERNAL_HEADERS, ...named.filter(Boolean)]) {
    headers.delete(name);
  }
  let body = upstream.body;
  const contentType = (headers.get("content-type") ?? "").toLowerCase();
  const stream = body !== null && contentType.startsWith("text/event-stream");
  if (stream && rewrite !== null) {
    body = body.pipeThrough(rewritingEvents(rewrite));
  } else if (body !== null && rewrite !== null && contentType.startsWith("application/json")) {
    body = rewrittenJson(await new Response(body).text(), rewrite);
    headers.delete("content-length");
  }
  if (stream) {
    headers.set("cache-control", "no-cache");
    headers.delete("content-length");
    body = withKeepalive(body, config.keepaliveMs, ctx);
  }
  return new Response(body, { status: upstream.status, statusText: upstream.statusText, headers });
}

// A JSON answer (one message, or a batch of them) with `rewrite` applied; as it came when it changes nothing.
function rewrittenJson(text, rewrite) {
  let answer;
  try {
    answer = JSON.parse(text);
  } catch {
    return text;
  }
  const messages = Array.isArray(answer) ? answer : [answer];
  const rewritten = messages.map((message) => rewrite(message));
  if (rewritten.every((message) => message === null)) {
    return text;
  }
  const merged = rewritten.map((message, index) => message ?? messages[index]);
  return JSON.stringify(Array.isArray(answer) ? merged : merged[0]);
}
