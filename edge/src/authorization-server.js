// The OAuth 2.1 authorization server inside the edge worker (docs/edge.md, "The edge's own authorization
// server"), built on @cloudflare/workers-oauth-provider. It registers MCP clients (Client ID Metadata Documents,
// and Dynamic Client Registration for older clients), asks the user to consent per client, signs the user in at
// the upstream OpenID provider named in settings, and issues access tokens bound to one service's URL (RFC 8707).
// Clients, grants and tokens live in the OAUTH_KV namespace, tokens and secrets only as hashes.
//
// Routes (on the public hostname, the issuer `https://<PUBLIC_HOSTNAME>`):
//   /.well-known/oauth-authorization-server   metadata (RFC 8414)              the library
//   /oauth/token, /oauth/register             token, revocation, registration  the library
//   /authorize                                consent page, then the redirect to the upstream provider
//   /oauth/callback                           the upstream provider's redirect back: check its ID token, issue
//
// Nothing the client or the upstream provider sends as a credential is kept: the upstream's tokens are used to
// learn the user's subject and dropped; the grant holds only that subject.

import {
  AuthorizationError,
  CimdFetchError,
  OAuthAuthorizationServer,
  authorizationErrorRedirect,
} from "@cloudflare/workers-oauth-provider";
import { verifiedPayload, lifetimeProblem } from "./jwt.js";

const METADATA_PATH = "/.well-known/oauth-authorization-server";
const TOKEN_PATH = "/oauth/token";
const REGISTER_PATH = "/oauth/register";
export const AUTHORIZE_PATH = "/authorize";
export const CALLBACK_PATH = "/oauth/callback";
const LIBRARY_PATHS = [METADATA_PATH, TOKEN_PATH, REGISTER_PATH];
// The library's access tokens: `<user id>:<grant id>:<secret>` (not an RFC 6750 b64token: it has colons).
export const ACCESS_TOKEN = /^[A-Za-z0-9_-]{1,128}:[A-Za-z0-9_-]{1,128}:[A-Za-z0-9_-]{16,256}$/;
const CLIENT_ID = /^[\x21-\x7e]{1,255}$/;
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const UPSTREAM_METADATA_TTL_MS = 5 * 60 * 1000;

// The authorization server for these bindings, or null when AUTHORIZATION_SERVER is unset. One instance per
// isolate and configuration: the library checks its options once, at construction.
const servers = new Map();

export function readAuthorizationServer(env, publicHostname, services) {
  if (env.AUTHORIZATION_SERVER === undefined) {
    return null;
  }
  const text = env.AUTHORIZATION_SERVER;
  const cacheKey = `${text}\n${publicHostname}\n${services.join(",")}`;
  const cached = servers.get(cacheKey);
  if (cached !== undefined) {
    return cached;
  }
  let settings;
  try {
    settings = JSON.parse(text);
  } catch {
    throw new Error("AUTHORIZATION_SERVER is not valid JSON");
  }
  const { upstreamIssuer, clientId, scopes, clientIdMetadataDocuments, dynamicClientRegistration } = settings ?? {};
  if (typeof upstreamIssuer !== "string" || !secureUrl(upstreamIssuer)) {
    throw new Error("AUTHORIZATION_SERVER.upstreamIssuer must be an https URL");
  }
  if (typeof clientId !== "string" || !CLIENT_ID.test(clientId)) {
    throw new Error("AUTHORIZATION_SERVER.clientId must be 1 to 255 visible ASCII characters");
  }
  if (!Array.isArray(scopes) || !scopes.includes("openid") || !scopes.every((s) => SCOPE_TOKEN.test(s))) {
    throw new Error("AUTHORIZATION_SERVER.scopes must be a list of scope names that includes openid");
  }
  const accessTokenTTL = settings.accessTokenTtlSeconds;
  if (!Number.isInteger(accessTokenTTL) || accessTokenTTL < 60) {
    throw new Error("AUTHORIZATION_SERVER.accessTokenTtlSeconds must be a whole number of at least 60");
  }
  if (typeof env.UPSTREAM_CLIENT_SECRET !== "string" || env.UPSTREAM_CLIENT_SECRET === "") {
    throw new Error("binding UPSTREAM_CLIENT_SECRET is missing");
  }
  if (typeof env.OAUTH_KV?.get !== "function") {
    throw new Error("binding OAUTH_KV is missing");
  }
  if (publicHostname === null) {
    throw new Error("binding PUBLIC_HOSTNAME is missing; the authorization server's issuer is built from it");
  }
  const issuer = `https://${publicHostname}`;
  const resources = services.map((service) => `${issuer}/${service}/mcp`);
  const server = new OAuthAuthorizationServer({
    issuer,
    resources,
    authorizeEndpoint: `${issuer}${AUTHORIZE_PATH}`,
    tokenEndpoint: `${issuer}${TOKEN_PATH}`,
    ...(dynamicClientRegistration === true ? { clientRegistrationEndpoint: `${issuer}${REGISTER_PATH}` } : {}),
    clientIdMetadataDocumentEnabled: clientIdMetadataDocuments === true,
    accessTokenTTL,
    // Every error the library answers is logged with the check that failed (never on the wire, RFC 6749 5.2).
    onError: ({ code, status, internal }) => {
      console.warn(JSON.stringify({ event: "oauth_error", code, status, reason: internal?.reason ?? null }));
    },
  });
  const authorizationServer = {
    issuer,
    resources: new Set(resources),
    server,
    upstream: { issuer: upstreamIssuer, clientId, scopes },
    paths: new Set([...LIBRARY_PATHS, AUTHORIZE_PATH, CALLBACK_PATH]),
  };
  servers.set(cacheKey, authorizationServer);
  return authorizationServer;
}

// The client a token of this server names, for this resource only, or null (unknown, expired, revoked, or
// issued for another resource: the library checks the audience against `resource`).
export async function validateAccessToken(authorizationServer, env, resource, token) {
  if (!authorizationServer.resources.has(resource)) {
    return null;
  }
  const validated = await authorizationServer.server.validateToken(resource, token, env);
  if (validated === null || validated.audience !== resource) {
    return null;
  }
  return { clientId: validated.clientId, subject: validated.props?.subject ?? null };
}

// The answer to one of the authorization server's own paths.
export async function authorizationServerResponse(request, url, authorizationServer, env, ctx) {
  if (url.pathname !== AUTHORIZE_PATH && url.pathname !== CALLBACK_PATH) {
    return authorizationServer.server.fetch(request, env, ctx);
  }
  const oauth = authorizationServer.server.getOAuthApi(env);
  try {
    if (url.pathname === CALLBACK_PATH) {
      return await upstreamCallback(request, url, oauth, authorizationServer, env);
    }
    if (request.method === "GET") {
      return await consentPage(request, oauth, authorizationServer);
    }
    if (request.method === "POST") {
      return await consentDecision(request, oauth, authorizationServer);
    }
    return htmlAnswer(405, "Method not allowed", "Use the link your app opened.", { allow: "GET, POST" });
  } catch (error) {
    if (error instanceof AuthorizationError && error.redirectTo) {
      return redirect(error.redirectTo);
    }
    if (error instanceof AuthorizationError || error instanceof CimdFetchError || error instanceof UpstreamError) {
      const message = error instanceof CimdFetchError ? "This app could not be verified." : error.description;
      console.warn(JSON.stringify({ event: "authorization_refused", message: String(error.message) }));
      return htmlAnswer(400, "Sign-in failed", message);
    }
    throw error;
  }
}

// GET /authorize: the consent page. The upstream sign-in starts only after the user approved this client, so
// no client can use the edge's one registration at the provider without the user seeing who is asking.
async function consentPage(request, oauth, authorizationServer) {
  const authRequest = await oauth.parseAuthRequest(request);
  const details = await oauth.describeConsent(authRequest);
  const consent = await oauth.beginConsent(authRequest);
  consent.headers.set("content-type", "text/html; charset=utf-8");
  const page = consentHtml(details, consent.handle, new URL(authorizationServer.upstream.issuer).host);
  return new Response(page, { headers: consent.headers });
}

// POST /authorize: Deny goes back to the client with access_denied; Allow goes on to the upstream provider.
async function consentDecision(request, oauth, authorizationServer) {
  const form = await request.formData();
  const handle = String(form.get("handle") ?? "");
  if (form.get("decision") !== "approve") {
    const denied = await oauth.denyConsent(request, handle);
    return new Response(null, { status: 302, headers: denied.headers });
  }
  const approved = await oauth.approveConsent(request, handle);
  const upstream = await upstreamMetadata(authorizationServer.upstream.issuer);
  const verifier = randomText(32);
  const nonce = randomText(16);
  const { state, headers } = await oauth.beginUpstream(approved.request, {
    data: { verifier, nonce },
    headers: approved.headers,
  });
  const location = new URL(upstream.authorization_endpoint);
  const parameters = {
    response_type: "code",
    client_id: authorizationServer.upstream.clientId,
    redirect_uri: `${authorizationServer.issuer}${CALLBACK_PATH}`,
    scope: authorizationServer.upstream.scopes.join(" "),
    state,
    nonce,
    code_challenge: await s256(verifier),
    code_challenge_method: "S256",
  };
  for (const [name, value] of Object.entries(parameters)) {
    location.searchParams.set(name, value);
  }
  headers.set("location", location.href);
  return new Response(null, { status: 302, headers });
}

// GET /oauth/callback: the provider sends the user back with a code. The code is exchanged (with the edge's
// client secret and the PKCE verifier), the ID token checked, and the MCP client's grant issued for the user.
async function upstreamCallback(request, url, oauth, authorizationServer, env) {
  const { request: original, data, headers } = await oauth.finishUpstream(request);
  const upstreamIssuer = authorizationServer.upstream.issuer;
  if (url.searchParams.has("error")) {
    console.warn(JSON.stringify({ event: "upstream_refused", error: url.searchParams.get("error") }));
    headers.set("location", authorizationErrorRedirect(original, "access_denied"));
    return new Response(null, { status: 302, headers });
  }
  // RFC 9207: a response that names another issuer is from a provider this flow never went to (mix-up attack).
  const iss = url.searchParams.get("iss");
  if (iss !== null && iss !== upstreamIssuer) {
    throw new UpstreamError("The sign-in answer came from another provider.");
  }
  const code = url.searchParams.get("code");
  if (code === null) {
    throw new UpstreamError("The provider sent no authorization code.");
  }
  const upstream = await upstreamMetadata(upstreamIssuer);
  const { clientId } = authorizationServer.upstream;
  const basic = btoa(`${encodeURIComponent(clientId)}:${encodeURIComponent(env.UPSTREAM_CLIENT_SECRET)}`);
  const exchange = await fetch(upstream.token_endpoint, {
    method: "POST",
    headers: {
      authorization: `Basic ${basic}`,
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: `${authorizationServer.issuer}${CALLBACK_PATH}`,
      code_verifier: data.verifier,
    }),
  });
  const answer = await exchange.json().catch(() => ({}));
  if (!exchange.ok || typeof answer.id_token !== "string") {
    console.warn(JSON.stringify({ event: "upstream_token_failed", status: exchange.status, error: answer.error }));
    throw new UpstreamError("The provider did not confirm the sign-in.");
  }
  const subject = await idTokenSubject(answer.id_token, upstream, upstreamIssuer, clientId, data.nonce);
  const { redirectTo } = await oauth.completeAuthorization({
    request: original,
    // Grant keys and tokens embed the user id and use `:` as a separator: a digest of the subject has none.
    userId: (await sha256Hex(`${upstreamIssuer}\n${subject}`)).slice(0, 32),
    metadata: {},
    scope: original.scope,
    props: { subject },
  });
  headers.set("location", redirectTo);
  return new Response(null, { status: 302, headers });
}

// The subject of an ID token (OpenID Connect Core 3.1.3.7): signed by the provider, for the edge's client id,
// carrying the nonce this sign-in sent, not expired.
async function idTokenSubject(idToken, upstream, issuer, clientId, nonce) {
  const { payload, error } = await verifiedPayload(idToken, upstream.jwks_uri);
  const audiences = payload === undefined ? [] : Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  const problem =
    error ??
    (payload.iss !== issuer ? "issued by another provider" : null) ??
    (!audiences.includes(clientId) ? "issued for another client" : null) ??
    (audiences.length > 1 && payload.azp !== clientId ? "authorized for another party" : null) ??
    (payload.nonce !== nonce ? "not from this sign-in (nonce)" : null) ??
    lifetimeProblem(payload) ??
    (typeof payload.sub !== "string" || payload.sub === "" ? "names no subject" : null);
  if (problem !== null) {
    console.warn(JSON.stringify({ event: "upstream_id_token_refused", problem }));
    throw new UpstreamError("The provider's sign-in could not be verified.");
  }
  return payload.sub;
}

class UpstreamError extends Error {
  constructor(description) {
    super(description);
    this.description = description;
  }
}

// The provider's OpenID configuration, per isolate for a few minutes.
const upstreamCache = new Map();

async function upstreamMetadata(issuer) {
  const cached = upstreamCache.get(issuer);
  if (cached !== undefined && Date.now() - cached.fetchedAt < UPSTREAM_METADATA_TTL_MS) {
    return cached.metadata;
  }
  let metadata;
  try {
    const response = await fetch(`${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`, {
      headers: { accept: "application/json" },
    });
    metadata = response.ok ? await response.json() : null;
  } catch {
    metadata = null;
  }
  const endpoints = ["authorization_endpoint", "token_endpoint", "jwks_uri"];
  if (metadata?.issuer !== issuer || !endpoints.every((name) => secureUrl(metadata[name]))) {
    console.error(JSON.stringify({ event: "upstream_metadata_unusable", issuer }));
    throw new UpstreamError("The sign-in provider is unavailable.");
  }
  upstreamCache.set(issuer, { metadata, fetchedAt: Date.now() });
  return metadata;
}

// https, or plain http on loopback, which only the worker's local tests use.
function secureUrl(value) {
  return typeof value === "string" && (/^https:\/\/[^\s]+$/.test(value) || /^http:\/\/127\.0\.0\.1(:\d+)?(\/\S*)?$/.test(value));
}

const escapeHtml = (value) => String(value).replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

// What the MCP security best practices require a consent page to show: the client's name (verified only for a
// metadata document client, by its domain), where the tokens go, a warning for a local redirect.
function consentHtml(details, handle, providerHost) {
  const name = escapeHtml(details.clientName);
  const origin = details.clientDomain
    ? `Published by <strong>${escapeHtml(details.clientDomain)}</strong>.`
    : "This app registered itself; its name is not verified.";
  const loopback = details.redirectIsLoopback
    ? "<p><strong>Access goes to an app on your computer.</strong> Continue only if you just started signing in from it.</p>"
    : "";
  return `<!doctype html>
<html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Allow ${name}?</title>
<h1>Allow ${name} to use the MCP services?</h1>
<p>${origin} Access will be sent to <strong>${escapeHtml(details.redirectHost)}</strong>.</p>
${loopback}
<p>You will sign in at ${escapeHtml(providerHost)}.</p>
<form method="post">
<input type="hidden" name="handle" value="${escapeHtml(handle)}">
<button name="decision" value="approve">Allow</button> <button name="decision" value="deny">Deny</button>
</form>
</html>
`;
}

function htmlAnswer(status, title, message, extraHeaders = {}) {
  const page = `<!doctype html>\n<meta charset="utf-8">\n<title>${escapeHtml(title)}</title>\n<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>\n`;
  return new Response(page, {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": "frame-ancestors 'none'",
      ...extraHeaders,
    },
  });
}

function redirect(location) {
  return new Response(null, { status: 302, headers: { location, "cache-control": "no-store" } });
}

function randomText(bytes) {
  return base64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

async function s256(text) {
  return base64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))));
}

async function sha256Hex(text) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function base64Url(bytes) {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}
