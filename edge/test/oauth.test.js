// Access tokens of an authorization server: a signed JWT for exactly this service's URL, or 401.

import assert from "node:assert/strict";
import { generateKeyPairSync, sign } from "node:crypto";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import { PUBLIC_HOSTNAME, TOKENS, bearer, edgeBindings, startEdge, startOrigin, url, withOrigin } from "./harness.js";

const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const other = generateKeyPairSync("ec", { namedCurve: "P-256" });
const KID = "test-key";
const RESOURCE = `https://${PUBLIC_HOSTNAME}/memory/mcp`;

const encode = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");

function jwt(claims, { key = privateKey, kid = KID, alg = "ES256" } = {}) {
  const head = encode({ alg, typ: "at+jwt", kid });
  const body = encode(claims);
  const signature = sign("sha256", Buffer.from(`${head}.${body}`), { key, dsaEncoding: "ieee-p1363" });
  return `${head}.${body}.${signature.toString("base64url")}`;
}

describe("OAuth access tokens", () => {
  const ctx = withOrigin();
  let jwks;
  let issuer;
  const now = () => Math.floor(Date.now() / 1000);
  const claims = (overrides = {}) => ({
    iss: issuer,
    aud: RESOURCE,
    client_id: "machine",
    sub: "machine",
    exp: now() + 300,
    iat: now(),
    ...overrides,
  });

  before(async () => {
    const key = { ...publicKey.export({ format: "jwk" }), kid: KID, use: "sig", alg: "ES256" };
    jwks = createServer((request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ keys: [key] }));
    });
    await new Promise((resolve) => jwks.listen(0, "127.0.0.1", resolve));
    issuer = `http://127.0.0.1:${jwks.address().port}`;
    ctx.edge = startEdge(edgeBindings(ctx.origin, { OAUTH_ISSUER: issuer, OAUTH_JWKS_URI: `${issuer}/jwks` }));
  });
  after(async () => {
    await ctx.edge.dispose();
    jwks.close();
  });

  const send = (token) =>
    ctx.edge.dispatchFetch(url("/memory/mcp"), {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: "{}",
    });

  it("forwards a valid token's request as the client `oauth:<client_id>`, without the token", async () => {
    const response = await send(jwt(claims()));
    await response.arrayBuffer();
    assert.equal(response.status, 200);
    const seen = ctx.origin.requests.at(-1).headers;
    assert.equal(seen["x-mcp-client"], "oauth:machine");
    assert.equal(seen.authorization, undefined);
  });

  it("still accepts the static tokens", async () => {
    const request = { method: "POST", headers: bearer(), body: "{}" };
    const response = await ctx.edge.dispatchFetch(url("/memory/mcp"), request);
    await response.arrayBuffer();
    assert.equal(response.status, 200);
    assert.equal(ctx.origin.requests.at(-1).headers["x-mcp-client"], "alice");
  });

  for (const [label, token, message] of [
    ["for another service", () => jwt(claims({ aud: RESOURCE.replace("memory", "everything") })), /another resource/],
    ["of another server", () => jwt(claims({ iss: "https://elsewhere.example" })), /another authorization server/],
    ["expired", () => jwt(claims({ exp: now() - 120 })), /expired/],
    ["not valid yet", () => jwt(claims({ nbf: now() + 600 })), /not valid yet/],
    ["signed by another key", () => jwt(claims(), { key: other.privateKey }), /signature/],
    ["of an algorithm it does not take", () => jwt(claims(), { alg: "HS256" }), /supported algorithm/],
    ["naming no client", () => jwt(claims({ client_id: undefined, sub: undefined })), /names no client/],
  ]) {
    it(`refuses a token ${label} with 401 invalid_token, before the origin`, async () => {
      const forwarded = ctx.origin.requests.length;
      const response = await send(token());
      assert.equal(response.status, 401);
      const challenge = response.headers.get("www-authenticate");
      assert.match(challenge, /error="invalid_token"/);
      const metadata = `https://${PUBLIC_HOSTNAME}/.well-known/oauth-protected-resource/memory/mcp`;
      assert.ok(challenge.includes(`resource_metadata="${metadata}"`), challenge);
      assert.match((await response.json()).message, message);
      assert.equal(ctx.origin.requests.length, forwarded);
    });
  }

  it("publishes each service's protected resource metadata, and none for unknown services", async () => {
    const response = await ctx.edge.dispatchFetch(url("/.well-known/oauth-protected-resource/memory/mcp"));
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      resource: RESOURCE,
      authorization_servers: [issuer],
      bearer_methods_supported: ["header"],
    });
    const unknown = await ctx.edge.dispatchFetch(url("/.well-known/oauth-protected-resource/nope/mcp"));
    assert.equal(unknown.status, 404);
    await unknown.arrayBuffer();
  });
});

describe("OAuth clients and scopes", () => {
  const ctx = withOrigin();

  it("scopes an OAuth client by `oauth:<client_id>`", async () => {
    const key = { ...publicKey.export({ format: "jwk" }), kid: KID, use: "sig" };
    const keys = createServer((request, response) => response.end(JSON.stringify({ keys: [key] })));
    await new Promise((resolve) => keys.listen(0, "127.0.0.1", resolve));
    const issuer = `http://127.0.0.1:${keys.address().port}`;
    const scopes = { "oauth:machine": { services: ["memory"] } };
    const bindings = { OAUTH_ISSUER: issuer, OAUTH_JWKS_URI: `${issuer}/jwks`, CLIENT_SCOPES: JSON.stringify(scopes) };
    const edge = startEdge(edgeBindings(ctx.origin, bindings));
    const token = (service) =>
      jwt({ iss: issuer, aud: `https://${PUBLIC_HOSTNAME}/${service}/mcp`, client_id: "machine", exp: 9999999999 });
    const send = (service) =>
      edge.dispatchFetch(url(`/${service}/mcp`), {
        method: "GET",
        headers: { authorization: `Bearer ${token(service)}` },
      });
    try {
      const allowed = await send("memory");
      await allowed.arrayBuffer();
      assert.equal(allowed.status, 200);
      const refused = await send("everything");
      assert.equal(refused.status, 403);
      assert.match((await refused.json()).message, /Client oauth:machine may not use the everything service/);
    } finally {
      await edge.dispose();
      keys.close();
    }
  });
});

describe("without an authorization server", () => {
  const ctx = withOrigin();

  it("takes no JWT, publishes no metadata and challenges without resource_metadata", async () => {
    const edge = startEdge(edgeBindings(ctx.origin));
    try {
      const metadata = await edge.dispatchFetch(url("/.well-known/oauth-protected-resource/memory/mcp"));
      assert.equal(metadata.status, 404);
      await metadata.arrayBuffer();
      const response = await edge.dispatchFetch(url("/memory/mcp"), {
        method: "POST",
        headers: { authorization: `Bearer ${jwt({ iss: "x", aud: RESOURCE, sub: "m", exp: 9999999999 })}` },
        body: "{}",
      });
      assert.equal(response.status, 401);
      assert.equal(response.headers.get("www-authenticate"), 'Bearer realm="mcp-suite", error="invalid_token"');
      await response.arrayBuffer();
    } finally {
      await edge.dispose();
    }
  });

  it("refuses to run with a plain-HTTP issuer that is not on loopback", async () => {
    const origin = await startOrigin();
    const oauth = { OAUTH_ISSUER: "http://id.example.com", OAUTH_JWKS_URI: "https://id.example.com/jwks" };
    const bindings = edgeBindings(origin, oauth);
    const edge = startEdge(bindings);
    try {
      const request = { method: "POST", headers: bearer(TOKENS.ci), body: "{}" };
      const response = await edge.dispatchFetch(url("/memory/mcp"), request);
      assert.equal(response.status, 500);
      await response.arrayBuffer();
      assert.ok(edge.logs.some((line) => /OAUTH_ISSUER must be an https URL/.test(line.message)));
    } finally {
      await edge.dispose();
      await origin.close();
    }
  });
});
