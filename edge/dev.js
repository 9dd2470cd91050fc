// Runs the worker locally in workerd: `EDGE_TOKEN=... ORIGIN_HOST=... npm run dev`, then call
// http://127.0.0.1:8787/<service>/mcp with `Authorization: Bearer $EDGE_TOKEN`. See docs/edge.md.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Miniflare } from "miniflare";
import { readBundle } from "./build.js";

const required = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`error: set ${name} (see docs/edge.md, "Run the worker locally")`);
    process.exit(2);
  }
  return value;
};

const token = required("EDGE_TOKEN");
const scheme = process.env.ORIGIN_SCHEME ?? "http";
const port = Number(process.env.PORT ?? "8787");
let script;
try {
  script = readBundle();
} catch (error) {
  console.error(`error: ${error.message} (\`npm run dev\` builds it first)`);
  process.exit(2);
}
const packageJson = JSON.parse(readFileSync(new URL("package.json", import.meta.url), "utf8"));
const edge = new Miniflare({
  modules: true,
  // The bundle `npm run dev` has just built (build.js): what Cloudflare would receive.
  script,
  scriptPath: "worker.js",
  compatibilityDate: packageJson.config.compatibilityDate,
  compatibilityFlags: packageJson.config.compatibilityFlags,
  host: "127.0.0.1",
  port,
  bindings: {
    ORIGIN_HOST: required("ORIGIN_HOST"),
    // Local origins (a port-forwarded ingress) usually speak plain HTTP; deployed workers always use https.
    ORIGIN_SCHEME: scheme,
    PUBLIC_HOSTNAME: "127.0.0.1",
    SERVICES: JSON.stringify(required("SERVICES").split(",")),
    TOKEN_HASHES: JSON.stringify({ local: createHash("sha256").update(token).digest("hex") }),
    ALLOWED_ORIGINS: JSON.stringify((process.env.ALLOWED_ORIGINS ?? "").split(",").filter(Boolean)),
    KEEPALIVE_SECONDS: process.env.KEEPALIVE_SECONDS ?? "25",
    // What the `local` client may use (docs/edge.md, "Scope what each client may call").
    ...(process.env.CLIENT_SCOPES ? { CLIENT_SCOPES: process.env.CLIENT_SCOPES } : {}),
    // Also accept access tokens of this authorization server (docs/edge.md, "OAuth").
    ...(process.env.OAUTH_ISSUER
      ? { OAUTH_ISSUER: process.env.OAUTH_ISSUER, OAUTH_JWKS_URI: required("OAUTH_JWKS_URI") }
      : {}),
  },
  ratelimits: {
    CLIENT_RATE_LIMIT: { simple: { limit: Number(process.env.CLIENT_RATE_LIMIT ?? "300"), period: 60 } },
  },
});
const url = await edge.ready;
console.log(`edge worker on ${url.href}<service>/mcp -> ${scheme}://${process.env.ORIGIN_HOST}/<service>/mcp`);
const stop = async () => {
  await edge.dispose();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
