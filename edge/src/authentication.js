// Who is calling: a static client token (TOKEN_HASHES, TOKENS_KV), an access token of an external authorization
// server (OAUTH_ISSUER), or one of the edge's own (AUTHORIZATION_SERVER); and the RFC 9728 metadata that tells
// OAuth clients where to get a token.

import { ACCESS_TOKEN, validateAccessToken } from "./authorization-server.js";
import { JWT_SHAPE, lifetimeProblem, verifiedPayload } from "./jwt.js";
import { jsonError, methodNotAllowed } from "./responses.js";
import { routeService } from "./routing.js";

// RFC 6750 b64token.
const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/;
const MAX_TOKEN_LENGTH = 4096;
export const RESOURCE_METADATA_PREFIX = "/.well-known/oauth-protected-resource";

export async function authenticate(header, env, config, resource) {
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

export function metadataUrl(url) {
  return `${url.origin}${RESOURCE_METADATA_PREFIX}${url.pathname}`;
}

// RFC 9728 metadata of one service, at /.well-known/oauth-protected-resource/<service>/mcp: which authorization
// server issues its tokens. Public, like any discovery document.
export function protectedResourceMetadata(request, url, config, requestId) {
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

function bytesToHex(bytes) {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
