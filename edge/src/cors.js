// CORS for the browser origins ALLOWED_ORIGINS names, and the request id every answer carries.

import { MCP_PARAM_NAME } from "./mcp-headers.js";
import { MCP_METHODS } from "./routing.js";

const CORS_ALLOW_HEADERS =
  "Authorization, Content-Type, Accept, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID, Mcp-Method, Mcp-Name";
const CORS_EXPOSE_HEADERS = "Mcp-Session-Id, MCP-Protocol-Version, X-Request-Id, WWW-Authenticate";

export function finish(response, request, config, requestId) {
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
