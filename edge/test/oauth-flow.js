// The OAuth flow of the edge's own authorization server, for its tests and its benchmark: a real OpenID provider
// (oidc-provider) on 127.0.0.1 as the upstream, a client metadata document server, an MCP SDK OAuth client
// provider, a scripted browser for the consent and sign-in pages, and a real MCP server as the origin.
//
// CIMD here: the client's id is https://client.example.test/mcp-client.json, and Miniflare's outbound service
// (the worker's every global fetch, which exists only under Miniflare) sends requests for that host to the
// document's server on 127.0.0.1 and everything else where it was going. On Cloudflare the
// `global_fetch_strictly_public` flag keeps the document fetch on the public internet, where no loopback or
// private address is reachable.

import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { createServer } from "node:http";
import { fetch as miniflareFetch } from "miniflare";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import Provider from "oidc-provider";
import * as z from "zod/v4";
import { PUBLIC_HOSTNAME, edgeBindings, startEdge, url } from "./harness.js";

export const UPSTREAM_CLIENT_ID = "mcp-edge";
export const UPSTREAM_CLIENT_SECRET = "upstream-client-secret-0123456789";
const CALLBACK = `https://${PUBLIC_HOSTNAME}/oauth/callback`;
const CLIENT_HOST = "client.example.test";
export const CIMD_CLIENT_ID = `https://${CLIENT_HOST}/mcp-client.json`;
// Where the MCP client would listen for its redirect; the test reads the redirect instead of following it.
const CLIENT_REDIRECT = "http://127.0.0.1:33418/callback";
export const USER = "alice@example.test";

// A real MCP server at the origin: stateless, one server per request, as the suite's services answer.
export function mcpOrigin(origin) {
  origin.handler = async (request, response, body) => {
    const server = new McpServer({ name: "origin", version: "1.0.0" });
    server.registerTool("echo", { inputSchema: { text: z.string() } }, async ({ text }) => ({
      content: [{ type: "text", text }],
    }));
    server.registerTool("delete_everything", { inputSchema: {} }, async () => ({
      content: [{ type: "text", text: "deleted" }],
    }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await server.connect(transport);
    await transport.handleRequest(request, response, body === "" ? undefined : JSON.parse(body));
  };
}

async function listen(server) {
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `127.0.0.1:${server.address().port}`;
}

// The upstream OpenID provider: one registered client, the edge, whose only redirect is the edge's callback.
export async function startUpstream() {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const key = { ...privateKey.export({ format: "jwk" }), kid: "upstream", use: "sig", alg: "ES256" };
  const http = createServer();
  const host = await listen(http);
  const issuer = `http://${host}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: UPSTREAM_CLIENT_ID,
        client_secret: UPSTREAM_CLIENT_SECRET,
        redirect_uris: [CALLBACK],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
        id_token_signed_response_alg: "ES256",
      },
    ],
    jwks: { keys: [key] },
    // Lifetimes of its own (its defaults print a notice each, on stdout, where the benchmark writes its figures).
    ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 3600, IdToken: 600, Interaction: 600, Session: 3600 },
    findAccount: (ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
  });
  const tokenRequests = [];
  http.on("request", (request, response) => {
    if (request.url.startsWith("/token")) {
      tokenRequests.push(request.headers);
    }
    provider.callback()(request, response);
  });
  return { issuer, tokenRequests, close: () => new Promise((resolve) => http.close(resolve)) };
}

// The client's metadata document, served on loopback (reached through the outbound service, see above).
export async function startClientDocument() {
  const document = {
    client_id: CIMD_CLIENT_ID,
    client_name: "Edge test client",
    redirect_uris: [CLIENT_REDIRECT],
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: "none",
  };
  const served = { fetches: 0 };
  const http = createServer((request, response) => {
    served.fetches += 1;
    response.writeHead(request.url === "/mcp-client.json" ? 200 : 404, { "content-type": "application/json" });
    response.end(JSON.stringify(document));
  });
  served.host = await listen(http);
  served.close = () => new Promise((resolve) => http.close(resolve));
  return served;
}

// The OAuth client's storage, as an MCP host application keeps it. With `clientMetadataUrl` it uses CIMD when
// the authorization server supports it; without, it registers dynamically.
export class ClientProvider {
  constructor(clientMetadataUrl) {
    this.clientMetadataUrl = clientMetadataUrl;
    this.stored = {};
  }
  get redirectUrl() {
    return CLIENT_REDIRECT;
  }
  get clientMetadata() {
    return {
      client_name: "Edge test client",
      redirect_uris: [CLIENT_REDIRECT],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  clientInformation() {
    return this.stored.client;
  }
  saveClientInformation(client) {
    this.stored.client = client;
  }
  tokens() {
    return this.stored.tokens;
  }
  saveTokens(tokens) {
    this.stored.tokens = tokens;
  }
  redirectToAuthorization(authorizationUrl) {
    this.authorizationUrl = authorizationUrl;
  }
  saveCodeVerifier(verifier) {
    this.stored.verifier = verifier;
  }
  codeVerifier() {
    return this.stored.verifier;
  }
}

// A browser: follows the sign-in across the edge (in workerd) and the provider, keeping each host's cookies,
// fills in the provider's login and consent forms, and stops at the redirect to the MCP client.
export class Browser {
  constructor(edge) {
    this.edge = edge;
    this.cookies = new Map();
  }
  async open(target, init = {}) {
    const address = new URL(target);
    const jar = this.cookies.get(address.host) ?? new Map();
    const headers = new Headers(init.headers);
    if (jar.size > 0) {
      headers.set("cookie", [...jar].map(([name, value]) => `${name}=${value}`).join("; "));
    }
    const request = { ...init, headers, redirect: "manual" };
    const response =
      address.host === PUBLIC_HOSTNAME
        ? await this.edge.dispatchFetch(address.href, request)
        : await fetch(address.href, request);
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const [name, value] = [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)];
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(cookie)) {
        jar.delete(name);
      } else {
        jar.set(name, value);
      }
    }
    this.cookies.set(address.host, jar);
    return response;
  }
  async submit(page, pageUrl, fields) {
    const action = /<form[^>]*action="([^"]*)"/.exec(page)?.[1] ?? pageUrl;
    const hidden = [...page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)];
    const form = new URLSearchParams([...hidden.map(([, name, value]) => [name, unescape(value)]), ...fields]);
    const target = new URL(action.replace(/&amp;/g, "&"), pageUrl).href;
    const headers = { "content-type": "application/x-www-form-urlencoded", origin: new URL(target).origin };
    return { target, response: await this.open(target, { method: "POST", headers, body: form.toString() }) };
  }
  // From the authorization URL the SDK produced to the code the edge sends back to the client.
  async signIn(authorizationUrl, { approve = true } = {}) {
    let response = await this.open(authorizationUrl);
    assert.equal(response.status, 200, "the edge shows its consent page");
    const consent = await response.text();
    assert.match(consent, /Edge test client/);
    let current;
    ({ target: current, response } = await this.submit(consent, authorizationUrl, [
      ["decision", approve ? "approve" : "deny"],
    ]));
    for (let step = 0; step < 20; step += 1) {
      if (response.status >= 300 && response.status < 400) {
        const location = new URL(response.headers.get("location"), current).href;
        await response.arrayBuffer();
        if (location.startsWith(CLIENT_REDIRECT)) {
          return new URL(location).searchParams;
        }
        current = location;
        response = await this.open(location);
        continue;
      }
      const page = await response.text();
      assert.equal(response.status, 200, `unexpected answer at ${current}: ${page.slice(0, 300)}`);
      // oidc-provider's development login and consent forms.
      const fields = /name="login"/.test(page) ? [["login", USER], ["password", "any"]] : [];
      ({ target: current, response } = await this.submit(page, current, fields));
    }
    throw new Error("the sign-in did not come back to the client");
  }
}

const unescape = (value) => value.replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code)));

// An MCP SDK client whose every request to the public hostname goes to the edge in workerd.
export function mcpClient(edge, service, provider) {
  const fetchThroughEdge = (target, init) =>
    new URL(target).host === PUBLIC_HOSTNAME ? edge.dispatchFetch(String(target), init) : fetch(target, init);
  const transport = new StreamableHTTPClientTransport(new URL(url(`/${service}/mcp`)), {
    authProvider: provider,
    fetch: fetchThroughEdge,
  });
  return { transport, client: new Client({ name: "edge-oauth-test", version: "1.0.0" }) };
}

// The whole flow for one client and service: the 401, discovery, registration, consent and sign-in, the code
// exchange, then a connection with the access token. Returns the connected client.
export async function authorize(edge, service, provider) {
  const first = mcpClient(edge, service, provider);
  await assert.rejects(first.client.connect(first.transport), UnauthorizedError);
  assert.ok(provider.authorizationUrl, "the SDK was sent to the authorization endpoint");
  const answer = await new Browser(edge).signIn(provider.authorizationUrl.href);
  assert.equal(answer.get("iss"), `https://${PUBLIC_HOSTNAME}`, "RFC 9207: the edge names itself as the issuer");
  await first.transport.finishAuth(answer.get("code"));
  const connected = mcpClient(edge, service, provider);
  await connected.client.connect(connected.transport);
  return connected;
}

export function authorizationServerBindings(upstream, overrides = {}) {
  return {
    AUTHORIZATION_SERVER: JSON.stringify({
      upstreamIssuer: upstream.issuer,
      clientId: UPSTREAM_CLIENT_ID,
      scopes: ["openid"],
      clientIdMetadataDocuments: true,
      dynamicClientRegistration: true,
      accessTokenTtlSeconds: 3600,
    }),
    UPSTREAM_CLIENT_SECRET,
    ...overrides,
  };
}

export function startAuthorizingEdge(origin, upstream, documentServer, overrides = {}) {
  return startEdge(edgeBindings(origin, authorizationServerBindings(upstream, overrides)), {
    kvNamespaces: ["OAUTH_KV"],
    outboundService: (request) => {
      const target = new URL(request.url);
      const to = target.host === CLIENT_HOST ? `http://${documentServer.host}${target.pathname}` : request.url;
      const { method, headers, body } = request;
      return miniflareFetch(to, { method, headers, body, duplex: "half", redirect: "manual" });
    },
  });
}
