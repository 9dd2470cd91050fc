// The worker's bindings, read and checked on every request: a bad one fails the request with its name in the
// logs rather than letting the edge run half-configured.

import { readAuthorizationServer } from "./authorization-server.js";
import { SERVICE_NAME } from "./routing.js";

const DEFAULT_MAX_BODY_BYTES = 1048576;
const DEFAULT_KEEPALIVE_SECONDS = 25;
// Cloudflare closes a proxied response that stays silent for 100 s (error 524).
const CLOUDFLARE_READ_TIMEOUT_SECONDS = 100;
const SHA256_HEX = /^[0-9a-f]{64}$/;

export function readConfig(env) {
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
