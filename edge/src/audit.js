// Every request to /<service>/mcp is logged as one `mcp_request` record (time, client, user, service, method,
// tool, status, latency, request id): never a token or a body.

// What the request handling learns as it goes; only requests that got as far as authentication are recorded.
export function newAudit() {
  return { record: false, client: null, user: null, service: null, method: null, tool: null, toolHidden: false };
}

export function writeAudit(audit, started, requestId, response) {
  if (!audit.record) {
    return;
  }
  const { client, user, service, method, tool } = audit;
  const time = new Date(started).toISOString();
  const record = { event: "mcp_request", time, requestId, client, user, service };
  // A call to a tool the client's scope hides: it reached the origin under a stand-in name, as an unknown tool.
  const hidden = audit.toolHidden ? { toolHidden: true } : {};
  // Until the response's headers: a stream's own length is the client's to keep, not the edge's latency.
  const latencyMs = Date.now() - started;
  console.log(JSON.stringify({ ...record, method, tool, ...hidden, status: response.status, latencyMs }));
}
