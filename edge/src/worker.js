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
//                                    set, a client without an entry is refused everywhere
//   AUTHORIZATION_SERVER plain text  optional: JSON {upstreamIssuer, clientId, scopes, clientIdMetadataDocuments,
//                                    dynamicClientRegistration, accessTokenTtlSeconds}: the worker is an OAuth
//                                    authorization server itself (authorization-server.js); not with OAUTH_ISSUER
//   UPSTREAM_CLIENT_SECRET secret    with AUTHORIZATION_SERVER: the edge's client secret at the upstream provider
//   OAUTH_KV             KV          with AUTHORIZATION_SERVER: its clients, grants and tokens (hashed)
//
// Every request to /<service>/mcp is logged as one `mcp_request` record (time, client, user, service, method,
// tool, status, latency, request id): never a token or a body.

import {
  ACCESS_TOKEN,
  authorizationServerResponse,
  readAuthorizationServer,
  validateAccessToken,
} from "./authorization-server.js";
import { JWT_SHAPE, base64Bytes, lifetimeProblem, verifiedPayload } from "./jwt.js";

const MCP_METHODS = ["POST", "GET", "DELETE", "OPTIONS"];
const DEFAULT_MAX_BODY_BYTES = 1048576;
const DEFAULT_KEEPALIVE_SECONDS = 25;
// Cloudflare closes a proxied response that stays silent for 100 s (error 524).
const CLOUDFLARE_READ_TIMEOUT_SECONDS = 100;
const SERVICE_NAME = /^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
// RFC 6750 b64token.
const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/;
const MAX_TOKEN_LENGTH = 4096;
// MCP session ids are visible ASCII (spec 2025-11-25); event ids and versions are kept as strict.
const SESSION_ID = /^[\x21-\x7e]{1,256}$/;
const PROTOCOL_VERSION = /^\d{4}-\d{2}-\d{2}$/;
const LAST_EVENT_ID = /^[\x20-\x7e]{1,256}$/;
// Mcp-Method and Mcp-Name mirror the JSON-RPC body (revision 2026-07-28, SEP-2243); Mcp-Param-* mirror tool
// arguments whose schema names a header, so they are forwarded by prefix.
const FORWARDED_MCP_HEADERS = ["mcp-session-id", "mcp-protocol-version", "last-event-id", "mcp-method", "mcp-name"];
const MCP_PARAM_PREFIX = "mcp-param-";
// RFC 9110 token: the only header names a tool schema may declare.
const MCP_PARAM_NAME = /^mcp-param-[!#$%&'*+.^_`|~0-9a-z-]+$/;
// Visible ASCII and inner spaces, or the `=?base64?...?=` sentinel for anything else.
const MCP_HEADER_VALUE = /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/;
const BASE64_SENTINEL = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/;
// The first revision whose requests carry Mcp-Method (and Mcp-Name) on every POST.
const HEADER_REVISION = "2026-07-28";
// JSON-RPC error the spec gives a request whose headers disagree with its body.
const HEADER_MISMATCH = -32020;
const RESOURCE_METADATA_PREFIX = "/.well-known/oauth-protected-resource";
// JSON-RPC error (implementation-defined range) of a call the client's scope does not allow.
const NOT_ALLOWED = -32003;
// The body parameter each name-bearing method mirrors into Mcp-Name.
const NAME_PARAMS = { "tools/call": "name", "prompts/get": "name", "resources/read": "uri" };
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
const CORS_ALLOW_HEADERS =
  "Authorization, Content-Type, Accept, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID, Mcp-Method, Mcp-Name";
const CORS_EXPOSE_HEADERS = "Mcp-Session-Id, MCP-Protocol-Version, X-Request-Id, WWW-Authenticate";
const KEEPALIVE_COMMENT = new TextEncoder().encode(": keepalive\n\n");

export default {
  async fetch(request, env, ctx) {
    const requestId = crypto.randomUUID();
    const started = Date.now();
    const audit = { record: false, client: null, user: null, service: null, method: null, tool: null };
    const response = await respond(request, env, ctx, requestId, audit);
    if (audit.record) {
      const { client, user, service, method, tool } = audit;
      const time = new Date(started).toISOString();
      const record = { event: "mcp_request", time, requestId, client, user, service };
      // Until the response's headers: a stream's own length is the client's to keep, not the edge's latency.
      const latencyMs = Date.now() - started;
      console.log(JSON.stringify({ ...record, method, tool, status: response.status, latencyMs }));
    }
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
  // Counted per client name, not per IP (the zone rule does that): a client's budget follows its token.
  const { success } = await config.clientRateLimit.limit({ key: client.name });
  if (!success) {
    const limited = jsonError(429, "rate_limited", `Client ${client.name} is over its request rate.`, requestId);
    // The period is 10 or 60 s (the binding's choice): 60 is always enough for the count to have reset.
    limited.headers.set("retry-after", "60");
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
  const refusal =
    scopeRefusal(config.clientScopes, client.name, service, audit.tool) ??
    unrecordedTool(config.recordedTools, service, audit.tool);
  if (refusal) {
    return message !== null
      ? jsonRpcError(403, message.id, NOT_ALLOWED, refusal, requestId)
      : jsonError(403, "not_allowed", refusal, requestId);
  }
  const upstreamUrl = `${config.originScheme}://${config.originHost}/${service}/mcp${url.search}`;
  let upstream;
  try {
    upstream = await config.origin.fetch(upstreamUrl, {
      method: request.method,
      headers: upstreamHeaders(request.headers, client.name, requestId, url.hostname),
      body,
      redirect: "manual",
    });
  } catch (error) {
    console.error(JSON.stringify({ requestId, event: "origin_unreachable", service, message: String(error.message) }));
    return jsonError(502, "origin_unreachable", "The MCP service could not be reached.", requestId);
  }
  return relay(upstream, config, ctx, requestId, service);
}

function readConfig(env) {
  const originHost = requiredText(env, "ORIGIN_HOST");
  if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(originHost)) {
    throw new Error("ORIGIN_HOST must be host[:port]");
  }
  const originScheme = env.ORIGIN_SCHEME ?? "https";
  if (originScheme !== "https" && originScheme !== "http") {
    throw new Error("ORIGIN_SCHEME must be https or http");
  }
  const services = parseJson(requiredText(env, "SERVICES"), "SERVICES");
  if (!Array.isArray(services) || !services.every((name) => typeof name === "string" && SERVICE_NAME.test(name))) {
    throw new Error("SERVICES must be a JSON array of service names");
  }
  // Required even when TOKENS_KV holds the clients: no binding combination turns authentication off.
  const tokenHashes = parseJson(requiredText(env, "TOKEN_HASHES"), "TOKEN_HASHES");
  if (typeof tokenHashes !== "object" || tokenHashes === null || Array.isArray(tokenHashes)) {
    throw new Error("TOKEN_HASHES must be a JSON object {client: sha256 hex}");
  }
  const clients = [];
  for (const [name, hash] of Object.entries(tokenHashes)) {
    if (typeof hash !== "string" || !SHA256_HEX.test(hash)) {
      throw new Error(`TOKEN_HASHES entry ${JSON.stringify(name)} is not a lowercase sha256 hex digest`);
    }
    clients.push({ name, digest: hexToBytes(hash) });
  }
  const allowedOrigins = parseJson(env.ALLOWED_ORIGINS ?? "[]", "ALLOWED_ORIGINS");
  if (!Array.isArray(allowedOrigins) || !allowedOrigins.every((value) => typeof value === "string")) {
    throw new Error("ALLOWED_ORIGINS must be a JSON array of origins");
  }
  const maxBodyBytes = positiveInteger(env.MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES, "MAX_BODY_BYTES");
  const keepaliveSeconds = positiveNumber(env.KEEPALIVE_SECONDS, DEFAULT_KEEPALIVE_SECONDS, "KEEPALIVE_SECONDS");
  if (keepaliveSeconds >= CLOUDFLARE_READ_TIMEOUT_SECONDS) {
    throw new Error(`KEEPALIVE_SECONDS must be below ${CLOUDFLARE_READ_TIMEOUT_SECONDS}`);
  }
  const clientScopes = env.CLIENT_SCOPES === undefined ? null : parseScopes(env.CLIENT_SCOPES);
  const recordedTools = env.RECORDED_TOOLS === undefined ? null : parseRecordedTools(env.RECORDED_TOOLS);
  // Required: without it one client with a valid token could use the whole zone's budget.
  const clientRateLimit = env.CLIENT_RATE_LIMIT;
  if (typeof clientRateLimit?.limit !== "function") {
    throw new Error("binding CLIENT_RATE_LIMIT is missing");
  }
  const oauth = readOAuth(env);
  const authorizationServer = readAuthorizationServer(env, env.PUBLIC_HOSTNAME ?? null, services);
  if (oauth !== null && authorizationServer !== null) {
    // A service's metadata names one authorization server, which MCP clients then use.
    throw new Error("AUTHORIZATION_SERVER and OAUTH_ISSUER are exclusive: the edge is its own server or uses one");
  }
  // Called as a method either way: a binding's fetch needs its binding, the global fetch accepts globalThis.
  const origin = env.ORIGIN ?? globalThis;
  if (typeof origin.fetch !== "function") {
    throw new Error("binding ORIGIN must be a fetcher (a VPC service or an mTLS certificate)");
  }
  return {
    oauth,
    authorizationServer,
    origin,
    clientRateLimit,
    clientScopes,
    recordedTools,
    originHost,
    originScheme,
    publicHostname: env.PUBLIC_HOSTNAME ?? null,
    services: new Set(services),
    clients,
    allowedOrigins: new Set(allowedOrigins),
    maxBodyBytes,
    keepaliveMs: keepaliveSeconds * 1000,
    tokensKv: env.TOKENS_KV ?? null,
  };
}

function readOAuth(env) {
  if (env.OAUTH_ISSUER === undefined) {
    return null;
  }
  const issuer = requiredText(env, "OAUTH_ISSUER");
  const jwksUri = requiredText(env, "OAUTH_JWKS_URI");
  for (const [name, value] of [["OAUTH_ISSUER", issuer], ["OAUTH_JWKS_URI", jwksUri]]) {
    // https only, but for a provider on loopback, which only the worker's local tests run.
    if (!/^https:\/\/[^\s]+$/.test(value) && !/^http:\/\/127\.0\.0\.1(:\d+)?(\/[^\s]*)?$/.test(value)) {
      throw new Error(`${name} must be an https URL`);
    }
  }
  return { issuer, jwksUri };
}

// {service: [tool names]}: the reviewed tool manifest (catalog-tools.json) of what this stack deploys.
function parseRecordedTools(text) {
  const recorded = parseJson(text, "RECORDED_TOOLS");
  const valid =
    typeof recorded === "object" &&
    recorded !== null &&
    !Array.isArray(recorded) &&
    Object.values(recorded).every((tools) => Array.isArray(tools) && tools.every((tool) => typeof tool === "string"));
  if (!valid) {
    throw new Error("RECORDED_TOOLS must be a JSON object of service: [tool names]");
  }
  return recorded;
}

function parseScopes(text) {
  const scopes = parseJson(text, "CLIENT_SCOPES");
  const names = (value) => Array.isArray(value) && value.every((name) => typeof name === "string");
  const valid =
    typeof scopes === "object" &&
    scopes !== null &&
    !Array.isArray(scopes) &&
    Object.values(scopes).every(
      (scope) =>
        typeof scope === "object" &&
        scope !== null &&
        names(scope.services) &&
        (scope.tools === undefined ||
          (typeof scope.tools === "object" && scope.tools !== null && Object.values(scope.tools).every(names))),
    );
  if (!valid) {
    throw new Error("CLIENT_SCOPES must be a JSON object {client: {services: [...], tools: {service: [...]}}}");
  }
  return Object.fromEntries(
    Object.entries(scopes).map(([name, scope]) => [name, { services: scope.services, tools: scope.tools ?? {} }]),
  );
}

function requiredText(env, name) {
  const value = env[name];
  if (typeof value !== "string" || value === "") {
    throw new Error(`binding ${name} is missing`);
  }
  return value;
}

function parseJson(text, name) {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${name} is not valid JSON`);
  }
}

function positiveInteger(text, fallback, name) {
  const value = positiveNumber(text, fallback, name);
  if (!Number.isInteger(value)) {
    throw new Error(`${name} must be a whole number`);
  }
  return value;
}

function positiveNumber(text, fallback, name) {
  if (text === undefined) {
    return fallback;
  }
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`${name} must be a positive number`);
  }
  return value;
}

function hexToBytes(hex) {
  const bytes = new Uint8Array(hex.length / 2);
  for (let index = 0; index < bytes.length; index += 1) {
    bytes[index] = parseInt(hex.slice(index * 2, index * 2 + 2), 16);
  }
  return bytes;
}

function bytesToHex(bytes) {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

async function authenticate(header, env, config, resource) {
  if (header === null) {
    return { error: null, description: "Send Authorization: Bearer <token>." };
  }
  const short = header.length <= MAX_TOKEN_LENGTH + 7;
  const match = short ? BEARER.exec(header) : null;
  const issued = short && config.authorizationServer !== null ? /^Bearer (\S+)$/.exec(header) : null;
  if (match === null && issued !== null && ACCESS_TOKEN.test(issued[1])) {
    return ownAccessToken(issued[1], env, config.authorizationServer, resource);
  }
  if (match === null) {
    return { error: "invalid_request", description: "The Authorization header is not a Bearer token." };
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(match[1])));
  // Every configured digest is compared, in constant time, so the answer's timing says nothing about which
  // client (if any) nearly matched.
  let found = null;
  for (const client of config.clients) {
    if (crypto.subtle.timingSafeEqual(digest, client.digest) && found === null) {
      found = client.name;
    }
  }
  if (found === null && config.tokensKv !== null) {
    // The key is a hash of the token: a lookup reveals nothing an attacker could use to build a valid token.
    const name = await config.tokensKv.get(`sha256:${bytesToHex(digest)}`);
    if (typeof name === "string" && name !== "") {
      found = name;
    }
  }
  if (found === null && config.oauth !== null && JWT_SHAPE.test(match[1])) {
    return verifyAccessToken(match[1], config.oauth, resource);
  }
  if (found === null) {
    return { error: "invalid_token", description: "The token is not valid." };
  }
  return { name: found };
}

// An access token of the edge's own authorization server, valid only for the service it was issued for.
async function ownAccessToken(token, env, authorizationServer, resource) {
  const validated = await validateAccessToken(authorizationServer, env, resource, token);
  if (validated === null) {
    return {
      error: "invalid_token",
      description: "The token is not valid for this service: unknown, expired, or issued for another resource.",
    };
  }
  return { name: `oauth:${validated.clientId}`, user: validated.subject };
}

// An access token of the configured authorization server: a signed JWT (RFC 9068) whose audience is this
// service's URL, so a token issued for another resource is refused. The client is named `oauth:<client_id>`.
async function verifyAccessToken(token, oauth, resource) {
  const invalid = (description) => ({ error: "invalid_token", description });
  const { payload, error } = await verifiedPayload(token, oauth.jwksUri);
  if (error !== undefined) {
    return invalid(error);
  }
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (payload.iss !== oauth.issuer) {
    return invalid("The token was issued by another authorization server.");
  }
  if (!audiences.includes(resource)) {
    return invalid("The token was issued for another resource.");
  }
  const expired = lifetimeProblem(payload);
  if (expired !== null) {
    return invalid(expired);
  }
  const clientId = typeof payload.client_id === "string" ? payload.client_id : payload.sub;
  if (typeof clientId !== "string" || clientId === "") {
    return invalid("The token names no client.");
  }
  return { name: `oauth:${clientId}` };
}

function metadataUrl(url) {
  return `${url.origin}${RESOURCE_METADATA_PREFIX}${url.pathname}`;
}

// RFC 9728 metadata of one service, at /.well-known/oauth-protected-resource/<service>/mcp: which authorization
// server issues its tokens. Public, like any discovery document.
function protectedResourceMetadata(request, url, config, requestId) {
  const path = url.pathname.slice(RESOURCE_METADATA_PREFIX.length);
  const issuer = config.authorizationServer?.issuer ?? config.oauth?.issuer;
  if (issuer === undefined || routeService(path, config.services) === null) {
    return jsonError(404, "not_found", "No such endpoint.", requestId);
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    return methodNotAllowed("GET, HEAD", requestId);
  }
  const metadata = {
    resource: `${url.origin}${path}`,
    authorization_servers: [issuer],
    bearer_methods_supported: ["header"],
  };
  return new Response(request.method === "HEAD" ? null : JSON.stringify(metadata), {
    headers: { "content-type": "application/json", "cache-control": "max-age=300" },
  });
}

function routeService(pathname, services) {
  const match = /^\/([^/]+)\/mcp$/.exec(pathname);
  if (match === null || !SERVICE_NAME.test(match[1]) || !services.has(match[1])) {
    return null;
  }
  return match[1];
}

function checkMcpHeaders(headers) {
  const rules = [
    ["mcp-session-id", SESSION_ID, "Mcp-Session-Id must be 1 to 256 visible ASCII characters."],
    ["mcp-protocol-version", PROTOCOL_VERSION, "MCP-Protocol-Version must be a date like 2025-11-25."],
    ["last-event-id", LAST_EVENT_ID, "Last-Event-ID must be 1 to 256 printable ASCII characters."],
  ];
  for (const [name, pattern, message] of rules) {
    const value = headers.get(name);
    if (value !== null && !pattern.test(value)) {
      return message;
    }
  }
  for (const [name, value] of headers) {
    const mirrored = name === "mcp-method" || name === "mcp-name" || name.startsWith(MCP_PARAM_PREFIX);
    if (name.startsWith(MCP_PARAM_PREFIX) && !MCP_PARAM_NAME.test(name)) {
      return `${name} is not a valid Mcp-Param header name.`;
    }
    if (mirrored && decodeHeaderValue(value) === null) {
      return `${name} must be visible ASCII or a =?base64?...?= value.`;
    }
  }
  return null;
}

// The standard headers must say what the body says (SEP-2243): an intermediary that routes, limits or logs by
// them must not be told one thing while the server does another. A 2026-07-28 request must carry them; an
// older one may. Mcp-Param-* values are forwarded for the server to check: only the tool's schema, which the
// edge does not hold, says which argument each one mirrors.
function headerMismatch(headers, message) {
  const version = headers.get("mcp-protocol-version");
  const mirrorsRequired = version !== null && version >= HEADER_REVISION;
  const method = headers.get("mcp-method");
  if (method === null ? mirrorsRequired : method !== message.method) {
    return "Mcp-Method header does not match the request body's method.";
  }
  const nameParam = NAME_PARAMS[message.method];
  const bodyName = nameParam === undefined ? undefined : message.params?.[nameParam];
  if (typeof bodyName !== "string") {
    return null;
  }
  const name = headers.get("mcp-name");
  if (name === null ? mirrorsRequired : decodeHeaderValue(name) !== bodyName) {
    return `Mcp-Name header does not match the request body's ${nameParam}.`;
  }
  return null;
}

// The POST body as one JSON-RPC request or notification ({method, id, params}), else null: not JSON (the server
// answers with its parse error), a response, or a batch. `id` is null for a notification.
function jsonRpcRequest(body) {
  let message;
  try {
    message = JSON.parse(new TextDecoder().decode(body ?? new Uint8Array()));
  } catch {
    return null;
  }
  if (typeof message !== "object" || message === null || Array.isArray(message) || typeof message.method !== "string") {
    return null;
  }
  const id = typeof message.id === "string" || typeof message.id === "number" ? message.id : null;
  return { method: message.method, id, params: message.params };
}

// Why the client may not make this request, or null. Without CLIENT_SCOPES every client may call everything;
// with it, a client without an entry may call nothing, so a misspelt name fails closed.
function scopeRefusal(scopes, clientName, service, tool) {
  if (scopes === null) {
    return null;
  }
  const scope = scopes[clientName];
  if (scope === undefined || !scope.services.includes(service)) {
    return `Client ${clientName} may not use the ${service} service.`;
  }
  const tools = scope.tools[service];
  if (tool !== null && tools !== undefined && !tools.includes(tool)) {
    return `Client ${clientName} may not call the ${tool} tool of ${service}.`;
  }
  return null;
}

// Why a tool call is refused for naming a tool the reviewed manifest does not record, or null. With
// RECORDED_TOOLS set, a service it does not list has no tool that may be called: fail closed.
function unrecordedTool(recorded, service, tool) {
  if (recorded === null || tool === null) {
    return null;
  }
  const tools = recorded[service];
  if (tools === undefined || !tools.includes(tool)) {
    return `The ${tool} tool of ${service} is not in the tool manifest reviewed for this deployment.`;
  }
  return null;
}

// Inverse of the clients' encoding: plain visible ASCII as is, anything else inside =?base64?...?= (UTF-8).
function decodeHeaderValue(value) {
  const sentinel = BASE64_SENTINEL.exec(value);
  if (sentinel === null) {
    return MCP_HEADER_VALUE.test(value) ? value : null;
  }
  const bytes = base64Bytes(sentinel[1]);
  try {
    return bytes === null ? null : new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

async function readLimitedBody(request, limit) {
  const declared = request.headers.get("content-length");
  if (declared !== null) {
    if (!/^\d{1,15}$/.test(declared)) {
      return { error: "bad_length" };
    }
    if (Number(declared) > limit) {
      return { error: "too_large" };
    }
  }
  if (request.body === null) {
    return { body: null };
  }
  // A body without Content-Length (chunked) is counted as it arrives and refused once it passes the limit.
  const reader = request.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      break;
    }
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return { error: "too_large" };
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { body };
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

function relay(upstream, config, ctx, requestId, service) {
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
  const contentType = headers.get("content-type") ?? "";
  if (body !== null && contentType.toLowerCase().startsWith("text/event-stream")) {
    headers.set("cache-control", "no-cache");
    headers.delete("content-length");
    body = withKeepalive(body, config.keepaliveMs, ctx);
  }
  return new Response(body, { status: upstream.status, statusText: upstream.statusText, headers });
}

// Passes an SSE stream through chunk by chunk and writes a comment line whenever it has been quiet for
// `intervalMs`, only between events so a comment never splits one. A client that went away makes the next
// write fail, which cancels the origin stream: an abandoned stream holds a backend for one interval at most.
function withKeepalive(source, intervalMs, ctx) {
  const { readable, writable } = new TransformStream();
  const writer = writable.getWriter();
  const reader = source.getReader();
  let tail = "\n\n";
  let timer = null;
  let closed = false;
  let pending = Promise.resolve();

  const write = (chunk) => {
    pending = pending.then(() => writer.write(chunk));
    return pending;
  };
  const stop = (error) => {
    if (closed) {
      return;
    }
    closed = true;
    clearTimeout(timer);
    reader.cancel(error).catch(() => {});
    writer.abort(error).catch(() => {});
  };
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (closed) {
        return;
      }
      if (atEventBoundary(tail)) {
        write(KEEPALIVE_COMMENT).catch(stop);
      }
      arm();
    }, intervalMs);
  };
  const pump = async () => {
    arm();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          break;
        }
        if (value.byteLength > 0) {
          tail = (tail + new TextDecoder().decode(value.slice(-4))).slice(-4);
          arm();
          await write(value);
        }
      }
      closed = true;
      clearTimeout(timer);
      await pending;
      await writer.close();
    } catch (error) {
      stop(error);
    }
  };
  ctx.waitUntil(pump());
  return readable;
}

function atEventBoundary(tail) {
  return tail.endsWith("\n\n") || tail.endsWith("\r\r") || tail.endsWith("\r\n\r\n");
}

function finish(response, request, config, requestId) {
  const headers = new Headers(response.headers);
  headers.set("x-request-id", requestId);
  const origin = request.headers.get("origin");
  if (origin !== null && config.allowedOrigins.has(origin)) {
    headers.set("access-control-allow-origin", origin);
    headers.set("access-control-expose-headers", CORS_EXPOSE_HEADERS);
    if (request.method === "OPTIONS") {
      headers.set("access-control-allow-methods", MCP_METHODS.join(", "));
      // Mcp-Param-* names come from tool schemas, so the ones a preflight asks for are allowed by name.
      const asked = (request.headers.get("access-control-request-headers") ?? "").toLowerCase().split(",");
      const params = asked.map((name) => name.trim()).filter((name) => MCP_PARAM_NAME.test(name));
      headers.set("access-control-allow-headers", [CORS_ALLOW_HEADERS, ...params].join(", "));
      headers.set("access-control-max-age", "600");
    }
    headers.append("vary", "Origin");
  }
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

function jsonRpcError(status, id, code, message, requestId) {
  return jsonAnswer(status, { jsonrpc: "2.0", id, error: { code, message, data: { requestId } } });
}

function jsonError(status, error, message, requestId) {
  return jsonAnswer(status, { error, message, requestId });
}

function jsonAnswer(status, payload) {
  return new Response(JSON.stringify(payload), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}

function unauthorized(error, description, requestId, resourceMetadata = null) {
  const response = jsonError(401, "unauthorized", description, requestId);
  // RFC 6750: a request without credentials gets the challenge alone, a bad one also the error code; RFC 9728:
  // with OAuth, the challenge says where the service's metadata (and so its authorization server) is.
  const parts = ['Bearer realm="mcp-suite"'];
  if (resourceMetadata !== null) {
    parts.push(`resource_metadata="${resourceMetadata}"`);
  }
  if (error !== null) {
    parts.push(`error="${error}"`);
  }
  response.headers.set("www-authenticate", parts.join(", "));
  return response;
}

function methodNotAllowed(allow, requestId) {
  const response = jsonError(405, "method_not_allowed", `Allowed methods: ${allow}.`, requestId);
  response.headers.set("allow", allow);
  return response;
}
