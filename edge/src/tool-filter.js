// A client whose scope names the tools of a service sees only those: `tools/list` answers are cut down to them,
// and a call to any other gets the service's own answer for a tool it does not have.

// The name a hidden tool's call reaches the origin under: one no server has, so the server answers it as an
// unknown tool, in its own words, revision and framing (2026-07-28 results carry `resultType` and the server's
// identity, which the edge could not forge). One fixed name keeps the origin's per-tool metrics bounded.
export const STAND_IN_TOOL = "mcp-suite-edge.hidden-tool";

// The JSON-RPC body of a hidden tool's call with the stand-in name, and the Mcp-Name header to match it.
export function standInCall(body, headers) {
  const message = JSON.parse(new TextDecoder().decode(body));
  const call = { ...message, params: { ...message.params, name: STAND_IN_TOOL } };
  const renamed = new Headers(headers);
  if (renamed.has("mcp-name")) {
    renamed.set("mcp-name", STAND_IN_TOOL);
  }
  return { body: new TextEncoder().encode(JSON.stringify(call)), headers: renamed };
}

// A rewrite for the origin's answers (see origin.js `forward`) that puts the hidden tool's name back where the
// server wrote the stand-in's, so the answer reads as one about the tool the client called.
export function restoringToolName(hidden) {
  const restore = (value) => {
    if (typeof value === "string") {
      return value.split(STAND_IN_TOOL).join(hidden);
    }
    if (Array.isArray(value)) {
      return value.map(restore);
    }
    if (typeof value === "object" && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, restore(inner)]));
    }
    return value;
  };
  return (message) => (JSON.stringify(message).includes(STAND_IN_TOOL) ? restore(message) : null);
}

// A rewrite for the origin's answers: a `tools/list` result keeps only `allowed`. From revision 2026-07-28 on,
// results carry caching hints; a list cut down for one client is marked private to it, so no cache shares it
// with another authorization context, keeping the origin's lifetime (or 0).
export function toolListFilter(allowed, cacheHints) {
  return (message) => {
    if (typeof message !== "object" || message === null || !("id" in message)) {
      return null;
    }
    const { result } = message;
    if (typeof result !== "object" || result === null || !Array.isArray(result.tools)) {
      return null;
    }
    const tools = result.tools.filter((tool) => allowed.includes(tool?.name));
    if (!cacheHints) {
      return { ...message, result: { ...result, tools } };
    }
    const ttlMs = Number.isInteger(result.ttlMs) && result.ttlMs >= 0 ? result.ttlMs : 0;
    return { ...message, result: { ...result, tools, ttlMs, cacheScope: "private" } };
  };
}
