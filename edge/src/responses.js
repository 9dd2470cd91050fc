// The answers the edge gives itself, rather than relaying the origin's: never cached, always JSON.

export function jsonRpcError(status, id, code, message, requestId) {
  return jsonAnswer(status, { jsonrpc: "2.0", id, error: { code, message, data: { requestId } } });
}

export function jsonError(status, error, message, requestId) {
  return jsonAnswer(status, { error, message, requestId });
}

function jsonAnswer(status, payload) {
  return new Response(JSON.stringify(payload), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}

export function unauthorized(error, description, requestId, resourceMetadata = null) {
  const response = jsonError(401, "unauthorized", description, requestId);
  // RFC 6750: a request without credentials gets the challenge alone, a bad one also the error code; RFC 9728:
  // with OAuth, the challenge says where the service's metadata (and so its authorization server) is.
  const parts = ['Bearer realm="mcp-suite"'];
  if (resourceMetadata !== null) {
    parts.push(`resource_metadata="${resourceMetadata}"`);
  }
  if (error !== null) {
    parts.push(`error="${error}"`);
  }
  response.headers.set("www-authenticate", parts.join(", "));
  return response;
}

export function methodNotAllowed(allow, requestId) {
  const response = jsonError(405, "method_not_allowed", `Allowed methods: ${allow}.`, requestId);
  response.headers.set("allow", allow);
  return response;
}
