// The edge's own authorization server, end to end in workerd: the official MCP SDK's OAuth client registers (by a
// Client ID Metadata Document, or by Dynamic Client Registration), the user consents and signs in at a real
// OpenID provider (oidc-provider, on 127.0.0.1), and the client's tools/list and tools/call reach a real MCP server
// at the origin with no credential of the client's. How the pieces run: oauth-flow.js.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { PUBLIC_HOSTNAME, TOKENS, bearer, edgeBindings, startEdge, url, withOrigin } from "./harness.js";
import {
  Browser,
  CIMD_CLIENT_ID,
  ClientProvider,
  UPSTREAM_CLIENT_ID,
  UPSTREAM_CLIENT_SECRET,
  USER,
  authorizationServerBindings,
  authorize,
  mcpClient,
  mcpOrigin,
  startAuthorizingEdge,
  startClientDocument,
  startUpstream,
} from "./oauth-flow.js";

const records = (edge) =>
  edge.logs.map((line) => line.message).filter((message) => message.includes('"mcp_request"')).map(JSON.parse);

describe("the edge's authorization server, with a Client ID Metadata Document client", () => {
  const ctx = withOrigin();
  let upstream;
  let documentServer;
  let edge;
  let session;
  const provider = new ClientProvider(CIMD_CLIENT_ID);
  const scopes = {
    [`oauth:${CIMD_CLIENT_ID}`]: { services: ["memory"], tools: { memory: ["echo"] } },
    alice: { services: ["memory", "everything"] },
  };

  before(async () => {
    mcpOrigin(ctx.origin);
    upstream = await startUpstream();
    documentServer = await startClientDocument();
    edge = startAuthorizingEdge(ctx.origin, upstream, documentServer, { CLIENT_SCOPES: JSON.stringify(scopes) });
    session = await authorize(edge, "memory", provider);
  });
  after(async () => {
    await session?.client.close();
    await edge.dispose();
    await upstream.close();
    await documentServer.close();
  });

  it("registered the client by its metadata document, which the edge fetched", () => {
    assert.equal(provider.stored.client.client_id, CIMD_CLIENT_ID);
    assert.ok(documentServer.fetches >= 1);
    assert.equal(provider.stored.tokens.token_type.toLowerCase(), "bearer");
  });

  it("exchanged the upstream code with the edge's client secret, and the edge kept no upstream token", async () => {
    assert.equal(upstream.tokenRequests.length, 1);
    const basic = Buffer.from(upstream.tokenRequests[0].authorization.replace(/^Basic /, ""), "base64").toString();
    assert.equal(basic, `${UPSTREAM_CLIENT_ID}:${UPSTREAM_CLIENT_SECRET}`);
    const kv = await edge.getKVNamespace("OAUTH_KV");
    const { keys } = await kv.list();
    const values = await Promise.all(keys.map(({ name }) => kv.get(name)));
    const stored = JSON.stringify([keys, values]);
    assert.ok(!stored.includes(UPSTREAM_CLIENT_SECRET));
    assert.ok(!stored.includes(provider.stored.tokens.access_token), "the access token is stored only as a hash");
    assert.ok(!stored.includes(provider.stored.tokens.refresh_token));
  });

  it("lists and calls tools at the origin as `oauth:<client_id>`, with no client credential crossing", async () => {
    const before = ctx.origin.requests.length;
    const tools = await session.client.listTools();
    // The origin has delete_everything too; the client's scope hides it.
    assert.deepEqual(tools.tools.map((tool) => tool.name).sort(), ["echo"]);
    const called = await session.client.callTool({ name: "echo", arguments: { text: "through the edge" } });
    assert.deepEqual(called.content, [{ type: "text", text: "through the edge" }]);
    const seen = ctx.origin.requests.slice(before);
    assert.ok(seen.length >= 2);
    for (const { headers } of seen) {
      assert.equal(headers.authorization, undefined);
      assert.equal(headers.cookie, undefined);
      assert.equal(headers["x-mcp-client"], `oauth:${CIMD_CLIENT_ID}`);
    }
  });

  it("applies the client's scope: a tool outside it is answered as unknown, and never called", async () => {
    const before = ctx.origin.requests.length;
    const response = await edge.dispatchFetch(url("/memory/mcp"), {
      method: "POST",
      headers: {
        authorization: `Bearer ${provider.stored.tokens.access_token}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "delete_everything" } }),
    });
    assert.equal(response.status, 200);
    const answer = await response.json();
    assert.equal(answer.id, 7);
    assert.deepEqual(answer.result, {
      content: [{ type: "text", text: "MCP error -32602: Tool delete_everything not found" }],
      isError: true,
    });
    const called = await session.client.callTool({ name: "delete_everything", arguments: {} });
    assert.equal(called.isError, true);
    const seen = JSON.stringify(ctx.origin.requests.slice(before));
    assert.ok(!seen.includes("delete_everything"), "the origin was asked for the hidden tool");
  });

  it("refuses the token at another service with 401 and the challenge naming that service's metadata", async () => {
    const before = ctx.origin.requests.length;
    const response = await edge.dispatchFetch(url("/everything/mcp"), {
      method: "POST",
      headers: { authorization: `Bearer ${provider.stored.tokens.access_token}`, "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    assert.equal(response.status, 401);
    const metadata = `https://${PUBLIC_HOSTNAME}/.well-known/oauth-protected-resource/everything/mcp`;
    assert.equal(
      response.headers.get("www-authenticate"),
      `Bearer realm="mcp-suite", resource_metadata="${metadata}", error="invalid_token"`,
    );
    assert.match((await response.json()).message, /another resource/);
    assert.equal(ctx.origin.requests.length, before);
  });

  it("publishes itself as each service's authorization server, with CIMD and DCR in its metadata", async () => {
    const resource = await (await edge.dispatchFetch(url("/.well-known/oauth-protected-resource/memory/mcp"))).json();
    assert.deepEqual(resource.authorization_servers, [`https://${PUBLIC_HOSTNAME}`]);
    assert.equal(resource.resource, `https://${PUBLIC_HOSTNAME}/memory/mcp`);
    const metadata = await (await edge.dispatchFetch(url("/.well-known/oauth-authorization-server"))).json();
    assert.equal(metadata.issuer, `https://${PUBLIC_HOSTNAME}`);
    assert.equal(metadata.client_id_metadata_document_supported, true);
    assert.equal(metadata.registration_endpoint, `https://${PUBLIC_HOSTNAME}/oauth/register`);
    assert.deepEqual(metadata.code_challenge_methods_supported, ["S256"]);
  });

  it("keeps the grant in KV, bound to the service the client asked for", async () => {
    const kv = await edge.getKVNamespace("OAUTH_KV");
    const { keys } = await kv.list({ prefix: "grant:" });
    assert.equal(keys.length, 1);
    const grant = JSON.parse(await kv.get(keys[0].name));
    assert.equal(grant.clientId, CIMD_CLIENT_ID);
    assert.equal(grant.resource, `https://${PUBLIC_HOSTNAME}/memory/mcp`);
  });

  it("audits the OAuth client and its user, and never a token", () => {
    const mine = records(edge).filter((record) => record.client === `oauth:${CIMD_CLIENT_ID}`);
    assert.ok(mine.some((record) => record.method === "tools/call" && record.tool === "echo" && record.status === 200));
    assert.ok(mine.every((record) => record.user === USER));
    const logs = JSON.stringify(edge.logs);
    for (const secret of [provider.stored.tokens.access_token, provider.stored.tokens.refresh_token]) {
      assert.ok(!logs.includes(secret));
    }
    assert.ok(!logs.includes(UPSTREAM_CLIENT_SECRET));
  });

  it("still takes static tokens, under the names clientScopes gives them", async () => {
    const response = await edge.dispatchFetch(url("/everything/mcp"), {
      method: "POST",
      headers: {
        ...bearer(TOKENS.alice),
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
    });
    await response.arrayBuffer();
    assert.equal(response.status, 200);
    assert.equal(ctx.origin.requests.at(-1).headers["x-mcp-client"], "alice");
  });
});

describe("the edge's authorization server, with a dynamically registered client", () => {
  const ctx = withOrigin();
  let upstream;
  let documentServer;
  let edge;

  before(async () => {
    mcpOrigin(ctx.origin);
    upstream = await startUpstream();
    documentServer = await startClientDocument();
    edge = startAuthorizingEdge(ctx.origin, upstream, documentServer);
  });
  after(async () => {
    await edge.dispose();
    await upstream.close();
    await documentServer.close();
  });

  it("registers, signs in, and calls a tool; the client record and grant are in KV", async () => {
    const provider = new ClientProvider(undefined);
    const session = await authorize(edge, "everything", provider);
    try {
      const clientId = provider.stored.client.client_id;
      assert.ok(!clientId.startsWith("https://"), "a registered id, not a metadata document");
      const called = await session.client.callTool({ name: "echo", arguments: { text: "registered" } });
      assert.deepEqual(called.content, [{ type: "text", text: "registered" }]);
      assert.equal(ctx.origin.requests.at(-1).headers["x-mcp-client"], `oauth:${clientId}`);
      assert.equal(ctx.origin.requests.at(-1).headers.authorization, undefined);
      const kv = await edge.getKVNamespace("OAUTH_KV");
      assert.ok(await kv.get(`client:${clientId}`));
      const grants = await kv.list({ prefix: "grant:" });
      assert.equal(grants.keys.length, 1);
      assert.equal(documentServer.fetches, 0, "no metadata document is fetched for a registered client");
    } finally {
      await session.client.close();
    }
  });

  it("sends a user who denies back to the client with access_denied, and issues nothing", async () => {
    const provider = new ClientProvider(undefined);
    const first = mcpClient(edge, "memory", provider);
    await assert.rejects(first.client.connect(first.transport), UnauthorizedError);
    const kv = await edge.getKVNamespace("OAUTH_KV");
    const grantsBefore = (await kv.list({ prefix: "grant:" })).keys.length;
    const answer = await new Browser(edge).signIn(provider.authorizationUrl.href, { approve: false });
    assert.equal(answer.get("error"), "access_denied");
    assert.equal(answer.get("code"), null);
    assert.equal((await kv.list({ prefix: "grant:" })).keys.length, grantsBefore);
  });
});

describe("the authorization server's configuration", () => {
  const ctx = withOrigin();

  for (const [label, overrides, message] of [
    ["without the upstream client secret", { UPSTREAM_CLIENT_SECRET: undefined }, /UPSTREAM_CLIENT_SECRET/],
    ["beside an external authorization server", { OAUTH_ISSUER: "https://id.example.com" }, /exclusive/],
    ["with a plain-HTTP upstream off loopback", { upstreamIssuer: "http://id.example.com" }, /upstreamIssuer/],
  ]) {
    it(`answers 500 edge_misconfigured ${label}, and forwards nothing`, async () => {
      const { upstreamIssuer, ...bindingOverrides } = overrides;
      const settings = { upstreamIssuer: upstreamIssuer ?? "https://id.example.com" };
      const bindings = edgeBindings(ctx.origin, {
        ...authorizationServerBindings({ issuer: settings.upstreamIssuer }),
        OAUTH_JWKS_URI: "https://id.example.com/jwks",
        ...bindingOverrides,
      });
      if (overrides.OAUTH_ISSUER === undefined) {
        delete bindings.OAUTH_JWKS_URI;
      }
      const edge = startEdge(bindings, { kvNamespaces: ["OAUTH_KV"] });
      try {
        const before = ctx.origin.requests.length;
        const response = await edge.dispatchFetch(url("/memory/mcp"), { method: "POST", headers: bearer(), body: "{}" });
        assert.equal(response.status, 500);
        assert.equal((await response.json()).error, "edge_misconfigured");
        assert.ok(edge.logs.some((line) => message.test(line.message)), JSON.stringify(edge.logs));
        assert.equal(ctx.origin.requests.length, before);
      } finally {
        await edge.dispose();
      }
    });
  }
});
