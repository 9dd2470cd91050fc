// Runs the worker in workerd with bindings rendered by the Pulumi program (JSON on stdin: {bindings,
// rateLimits, compatibilityFlags, token}: the plain and secret texts, the rate limiting bindings and the
// script's compatibility flags as rendered),
// with the origin moved to a loopback server, and prints what one request per service got (JSON on stdout).
// tests/unit/test_edge_render.py uses it to prove the rendered bindings work in the real runtime.

import { readFileSync } from "node:fs";
import { startEdge, startOrigin } from "./harness.js";

const { bindings, rateLimits, compatibilityFlags, token } = JSON.parse(readFileSync(0, "utf8"));
const origin = await startOrigin();
const ratelimits = Object.fromEntries(rateLimits.map(({ name, simple }) => [name, { simple }]));
const edge = startEdge({ ...bindings, ORIGIN_HOST: origin.host, ORIGIN_SCHEME: "http" }, { ratelimits, compatibilityFlags });
try {
  const base = `https://${bindings.PUBLIC_HOSTNAME}`;
  const results = { health: (await edge.dispatchFetch(`${base}/health`)).status, services: {} };
  for (const service of JSON.parse(bindings.SERVICES)) {
    const response = await edge.dispatchFetch(`${base}/${service}/mcp`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
    });
    await response.arrayBuffer();
    const seen = origin.requests.at(-1);
    const client = seen?.headers["x-mcp-client"];
    results.services[service] = { status: response.status, originPath: seen?.url, client };
  }
  results.unknownService = (await edge.dispatchFetch(`${base}/not-in-catalog/mcp`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: "{}",
  })).status;
  results.logs = edge.logs;
  process.stdout.write(JSON.stringify(results));
} finally {
  await edge.dispose();
  await origin.close();
}
