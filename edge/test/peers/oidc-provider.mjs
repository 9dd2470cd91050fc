// A real OpenID provider (the oidc-provider package) on loopback for the edge's OAuth tests:
// `node oidc-provider.mjs PORT CLIENT_ID CLIENT_SECRET RESOURCE_PREFIX`. It knows one machine client
// (client_credentials) and issues JWT access tokens bound to the resource the client asks for (RFC 8707),
// for any resource under RESOURCE_PREFIX.

import { generateKeyPairSync } from "node:crypto";
import { createServer } from "node:http";
import Provider, { errors } from "oidc-provider";

const [port, clientId, clientSecret, resourcePrefix] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const signingKey = { ...privateKey.export({ format: "jwk" }), kid: "edge-test", use: "sig", alg: "ES256" };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ["client_credentials"],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: "client_secret_basic",
      id_token_signed_response_alg: "ES256",
    },
  ],
  jwks: { keys: [signingKey] },
  features: {
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => undefined,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resourceIndicator) => {
        if (!resourceIndicator.startsWith(resourcePrefix)) {
          throw new errors.InvalidTarget();
        }
        return {
          scope: "mcp",
          audience: resourceIndicator,
          accessTokenFormat: "jwt",
          accessTokenTTL: 300,
          jwt: { sign: { alg: "ES256" } },
        };
      },
    },
  },
});
createServer(provider.callback()).listen(Number(port), "127.0.0.1", () => console.log(`ready ${issuer}`));
