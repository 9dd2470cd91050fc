// Edge worker of mcp-suite: the one public entrance to the MCP services of a stack.
//
// Routes https://<PUBLIC_HOSTNAME>/<service>/mcp to <ORIGIN_SCHEME>://<ORIGIN_HOST>/<service>/mcp after
// checking a bearer token against SHA-256 hashes held in a secret binding. Streams responses through
// unbuffered and keeps quiet SSE streams alive under Cloudflare's ~100 s proxy read timeout.
//
// What Cloudflare receives is a bundle of this module, the modules beside it and the npm packages they import
// (edge/build.js writes edge/dist/worker.js; the Pulumi component uploads that and the tests run it).
//
// Bindings (all set by components/cloudflare/edge_worker.py from the stack's settings):
//   ORIGIN_HOST          plain text  host[:port] the gateway answers (the Host header and TLS name sent)
//   ORIGIN               fetcher     optional: the one way to the origin, so nothing else can be: a Workers VPC
//                                    service (the cluster's tunnel) or an mTLS certificate (the worker's client
//                                    certificate the gateway requires); unset, a plain fetch to ORIGIN_HOST
//   ORIGIN_SCHEME        plain text  "https" (the component always sets it); "http" only for local tests
//   PUBLIC_HOSTNAME      plain text  the hostname clients use; other hosts (workers.dev) get 404
//   SERVICES             plain text  JSON array of the catalog's service names
//   TOKEN_HASHES         secret      JSON object {client name: sha256 hex of the client's token}
//   ALLOWED_ORIGINS      plain text  JSON array of browser origins allowed by CORS (default none)
//   MAX_BODY_BYTES       plain text  request body limit in bytes (default 1048576)
//   KEEPALIVE_SECONDS    plain text  idle seconds before an SSE keep-alive comment (default 25, below 100)
//   TOKENS_KV            KV          optional: extra client tokens, key "sha256:<hex>", value the client name
//   CLIENT_RATE_LIMIT    rate limit  requests per client name per period (Workers rate limiting binding)
//   OAUTH_ISSUER         plain text  optional: the OAuth authorization server (an OpenID provider) whose access
//                                    tokens the edge also accepts, each only for the service it was issued for
//   OAUTH_JWKS_URI       plain text  with OAUTH_ISSUER: where that server publishes its signing keys
//   CLIENT_SCOPES        plain text  optional: JSON {client: {services: [...], tools: {service: [...]}}}; once
//                                    set, a client without an entry is refused everywhere, and one whose entry
//                                    lists a service's tools sees (tools/list) and calls only those
//   RECORDED_TOOLS       plain text  optional: JSON {service: [...]}, the tools catalog-tools.json records; a call
//                                    to any other tool is refused
//   AUTHORIZATION_SERVER plain text  optional: JSON {upstreamIssuer, clientId, scopes, clientIdMetadataDocuments,
//                                    dynamicClientRegistration, accessTokenTtlSeconds}: the worker is an OAuth
//                                    authorization server itself (authorization-server.js); not with OAUTH_ISSUER
//   UPSTREAM_CLIENT_SECRET secret    with AUTHORIZATION_SERVER: the edge's client secret at the upstream provider
//   OAUTH_KV             KV          with AUTHORIZATION_SERVER: its clients, grants and tokens (hashed)
//
// This module is the order of the checks; each concern is a module of its own: config.js (the bindings),
// authentication.js, routing.js, rate-limit.js, request-body.js, mcp-headers.js, scopes.js, tool-filter.js,
// origin.js (forwarding and relaying), sse.js, cors.js, responses.js and audit.js.

import { authorizationServerResponse } from "./authorization-server.js";
import { newAudit, writeAudit } from "./audit.js";
import { RESOURCE_METADATA_PREFIX, authenticate, metadataUrl, protectedResourceMetadata } from "./authentication.js";
import { readConfig } from "./config.js";
import { finish } from "./cors.js";
import { HEADER_MISMATCH, checkMcpHeaders, headerMismatch, speaksCacheRevision } from "./mcp-headers.js";
import { forward } from "./origin.js";
import { clientRateLimited } from "./rate-limit.js";
import { jsonRpcRequest, readLimitedBody, uncheckableBody } from "./request-body.js";
import { jsonError, jsonRpcError, methodNotAllowed, unauthorized } from "./responses.js";
import { MCP_METHODS, routeService } from "./routing.js";
import { NOT_ALLOWED, allowedTools, scopeRefusal, unrecordedTool } from "./scopes.js";
import { restoringToolName, standInCall, toolListFilter } from "./tool-filter.js";

export default {
  async fetch(request, env, ctx) {
    const requestId = crypto.randomUUID();
    const started = Date.now();
    const audit = newAudit();
    const response = await respond(request, env, ctx, requestId, audit);
    writeAudit(audit, started, requestId, response);
    return response;
  },
};

async function respond(request, env, ctx, requestId, audit) {
  let config;
  try {
    config = readConfig(env);
  } catch (error) {
    console.error(JSON.stringify({ requestId, event: "bad_configuration", message: String(error.message) }));
    return jsonError(500, "edge_misconfigured", "The edge is misconfigured; its logs name the problem.", requestId);
  }
  try {
    const response = await handle(request, env, config, ctx, requestId, audit);
    return finish(response, request, config, requestId);
  } catch (error) {
    console.error(JSON.stringify({ requestId, event: "unhandled", message: String(error && error.message) }));
    const failure = jsonError(500, "internal_error", "The edge failed to handle the request.", requestId);
    return finish(failure, request, config, requestId);
  }
}

async function handle(request, env, config, ctx, requestId, audit) {
  const url = new URL(request.url);
  if (config.publicHostname && url.hostname !== config.publicHostname) {
    return jsonError(404, "not_found", "No such endpoint.", requestId);
  }
  if (url.pathname === "/health") {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return methodNotAllowed("GET, HEAD", requestId);
    }
    return new Response(request.method === "HEAD" ? null : JSON.stringify({ status: "ok" }), {
      headers: { "content-type": "application/json", "cache-control": "no-store" },
    });
  }
  if (url.pathname.startsWith(RESOURCE_METADATA_PREFIX)) {
    return protectedResourceMetadata(request, url, config, requestId);
  }
  // Before the MCP checks: a browser opens /authorize from any site, and token requests carry no bearer token.
  if (config.authorizationServer?.paths.has(url.pathname)) {
    return authorizationServerResponse(request, url, config.authorizationServer, env, ctx);
  }
  if (!MCP_METHODS.includes(request.method)) {
    return methodNotAllowed(MCP_METHODS.join(", "), requestId);
  }
  // The MCP transport requires refusing foreign browser origins (DNS rebinding); CORS alone would not stop
  // the request from reaching the server.
  const origin = request.headers.get("origin");
  if (origin !== null && !config.allowedOrigins.has(origin)) {
    return jsonError(403, "origin_not_allowed", "This browser origin is not allowed.", requestId);
  }
  if (request.method === "OPTIONS") {
    // Preflights carry no credentials, so they are answered the same for every path.
    return new Response(null, { status: 204, headers: { allow: MCP_METHODS.join(", ") } });
  }
  audit.record = true;
  audit.method = request.method;
  // The resource a token must be issued for: this service's URL as clients use it (RFC 8707).
  const resource = `${url.origin}${url.pathname}`;
  const client = await authenticate(request.headers.get("authorization"), env, config, resource);
  audit.client = client.name ?? null;
  audit.user = client.user ?? null;
  if (client.name === undefined) {
    const oauth = config.oauth !== null || config.authorizationServer !== null;
    const metadata = oauth && /^\/[^/]+\/mcp$/.test(url.pathname) ? metadataUrl(url) : null;
    return unauthorized(client.error, client.description, requestId, metadata);
  }
  const service = routeService(url.pathname, config.services);
  if (service === null) {
    return jsonError(404, "not_found", "No such MCP service; the path is /<service>/mcp.", requestId);
  }
  audit.service = service;
  const limited = await clientRateLimited(config, client.name, requestId);
  if (limited !== null) {
    return limited;
  }
  const headerProblem = checkMcpHeaders(request.headers);
  if (headerProblem) {
    return jsonError(400, "bad_header", headerProblem, requestId);
  }
  let body = null;
  if (request.method === "POST") {
    const read = await readLimitedBody(request, config.maxBodyBytes);
    if (read.error) {
      return read.error === "too_large"
        ? jsonError(413, "body_too_large", `The request body is over ${config.maxBodyBytes} bytes.`, requestId)
        : jsonError(400, "bad_content_length", "Content-Length is not a valid byte count.", requestId);
    }
    body = read.body;
  }
  const message = jsonRpcRequest(body);
  if (message !== null) {
    audit.method = message.method;
    const calledTool = message.method === "tools/call" ? message.params?.name : undefined;
    audit.tool = typeof calledTool === "string" ? calledTool : null;
    const mismatch = headerMismatch(request.headers, message);
    if (mismatch) {
      return jsonRpcError(400, message.id, HEADER_MISMATCH, mismatch, requestId);
    }
  }
  const refusal = scopeRefusal(config.clientScopes, client.name, service);
  if (refusal) {
    return message !== null
      ? jsonRpcError(403, message.id, NOT_ALLOWED, refusal, requestId)
      : jsonError(403, "not_allowed", refusal, requestId);
  }
  const allowed = allowedTools(config.clientScopes, client.name, service);
  const uncheckable = request.method === "POST" ? uncheckableBody(body) : null;
  if ((allowed !== null || config.recordedTools !== null) && uncheckable !== null) {
    return jsonRpcError(400, null, uncheckable.code, uncheckable.message, requestId);
  }
  // The tool name is the body's, which headerMismatch has held Mcp-Name to.
  if (allowed !== null && audit.tool !== null && !allowed.includes(audit.tool)) {
    audit.toolHidden = true;
    const standIn = standInCall(body, request.headers);
    const rewrite = restoringToolName(audit.tool);
    return forward(request, url, config, ctx, { service, clientName: client.name, requestId, rewrite, ...standIn });
  }
  const unrecorded = unrecordedTool(config.recordedTools, service, audit.tool);
  if (unrecorded) {
    return jsonRpcError(403, message.id, NOT_ALLOWED, unrecorded, requestId);
  }
  // A list answer can come on the POST that asked for it or, resumed after a dropped connection, on a GET.
  const listsTools = message?.method === "tools/list" || request.method === "GET";
  const rewrite =
    allowed !== null && listsTools ? toolListFilter(allowed, speaksCacheRevision(request.headers, message)) : null;
  const { headers } = request;
  return forward(request, url, config, ctx, { service, clientName: client.name, body, headers, requestId, rewrite });
}
