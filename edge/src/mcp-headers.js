// The MCP transport's own headers: their syntax, and (revision 2026-07-28, SEP-2243) that they say what the
// JSON-RPC body says.

import { base64Bytes } from "./jwt.js";

// MCP session ids are visible ASCII (spec 2025-11-25); event ids and versions are kept as strict.
const SESSION_ID = /^[\x21-\x7e]{1,256}$/;
const PROTOCOL_VERSION = /^\d{4}-\d{2}-\d{2}$/;
const LAST_EVENT_ID = /^[\x20-\x7e]{1,256}$/;
// Mcp-Method and Mcp-Name mirror the JSON-RPC body (revision 2026-07-28, SEP-2243); Mcp-Param-* mirror tool
// arguments whose schema names a header, so they are forwarded by prefix.
export const FORWARDED_MCP_HEADERS = ["mcp-session-id", "mcp-protocol-version", "last-event-id", "mcp-method", "mcp-name"];
export const MCP_PARAM_PREFIX = "mcp-param-";
// RFC 9110 token: the only header names a tool schema may declare.
export const MCP_PARAM_NAME = /^mcp-param-[!#$%&'*+.^_`|~0-9a-z-]+$/;
// Visible ASCII and inner spaces, or the `=?base64?...?=` sentinel for anything else.
const MCP_HEADER_VALUE = /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/;
const BASE64_SENTINEL = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/;
// The first revision whose requests carry Mcp-Method (and Mcp-Name) on every POST, and whose cacheable results
// carry `ttlMs` and `cacheScope`.
const HEADER_REVISION = "2026-07-28";
// JSON-RPC error the spec gives a request whose headers disagree with its body.
export const HEADER_MISMATCH = -32020;
// The body parameter each name-bearing method mirrors into Mcp-Name.
const NAME_PARAMS = { "tools/call": "name", "prompts/get": "name", "resources/read": "uri" };
// Where a 2026-07-28 request names its revision in the body (a request without the header still has it).
const META_PROTOCOL_VERSION = "io.modelcontextprotocol/protocolVersion";

export function checkMcpHeaders(headers) {
  const rules = [
    ["mcp-session-id", SESSION_ID, "Mcp-Session-Id must be 1 to 256 visible ASCII characters."],
    ["mcp-protocol-version", PROTOCOL_VERSION, "MCP-Protocol-Version must be a date like 2025-11-25."],
    ["last-event-id", LAST_EVENT_ID, "Last-Event-ID must be 1 to 256 printable ASCII characters."],
  ];
  for (const [name, pattern, message] of rules) {
    const value = headers.get(name);
    if (value !== null && !pattern.test(value)) {
      return message;
    }
  }
  for (const [name, value] of headers) {
    const mirrored = name === "mcp-method" || name === "mcp-name" || name.startsWith(MCP_PARAM_PREFIX);
    if (name.startsWith(MCP_PARAM_PREFIX) && !MCP_PARAM_NAME.test(name)) {
      return `${name} is not a valid Mcp-Param header name.`;
    }
    if (mirrored && decodeHeaderValue(value) === null) {
      return `${name} must be visible ASCII or a =?base64?...?= value.`;
    }
  }
  return null;
}

// The standard headers must say what the body says (SEP-2243): an intermediary that routes, limits or logs by
// them must not be told one thing while the server does another. A 2026-07-28 request must carry them; an
// older one may. Mcp-Param-* values are forwarded for the server to check: only the tool's schema, which the
// edge does not hold, says which argument each one mirrors.
export function headerMismatch(headers, message) {
  const version = headers.get("mcp-protocol-version");
  const mirrorsRequired = version !== null && version >= HEADER_REVISION;
  const method = headers.get("mcp-method");
  if (method === null ? mirrorsRequired : method !== message.method) {
    return "Mcp-Method header does not match the request body's method.";
  }
  const nameParam = NAME_PARAMS[message.method];
  const bodyName = nameParam === undefined ? undefined : message.params?.[nameParam];
  if (typeof bodyName !== "string") {
    return null;
  }
  const name = headers.get("mcp-name");
  if (name === null ? mirrorsRequired : decodeHeaderValue(name) !== bodyName) {
    return `Mcp-Name header does not match the request body's ${nameParam}.`;
  }
  return null;
}

// Whether the request speaks 2026-07-28 or later, by its header or, failing that, its body's `_meta`.
export function speaksCacheRevision(headers, message) {
  const version = headers.get("mcp-protocol-version") ?? message?.params?._meta?.[META_PROTOCOL_VERSION];
  return typeof version === "string" && PROTOCOL_VERSION.test(version) && version >= HEADER_REVISION;
}

// Inverse of the clients' encoding: plain visible ASCII as is, anything else inside =?base64?...?= (UTF-8).
function decodeHeaderValue(value) {
  const sentinel = BASE64_SENTINEL.exec(value);
  if (sentinel === null) {
    return MCP_HEADER_VALUE.test(value) ? value : null;
  }
  const bytes = base64Bytes(sentinel[1]);
  try {
    return bytes === null ? null : new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}
