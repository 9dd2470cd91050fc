// What every client of the bridge talks to, whatever its protocol revision: an MCP server that answers `initialize`
// or `server/discover` with the stdio server's own identity and relays every other request to that one process.

import { Server } from '@modelcontextprotocol/server';

/** An MCP server for one session or one request that relays everything to the upstream, timing each request. */
export function relayServer(upstream, telemetry) {
  const { serverInfo, capabilities, instructions } = upstream.identity;
  const server = new Server(serverInfo, { capabilities, instructions });
  server.fallbackRequestHandler = (request, ctx) =>
    telemetry.record(
      { method: request.method, params: request.params, protocolVersion: server.getNegotiatedProtocolVersion() },
      () => upstream.forward(request, { signal: ctx.mcpReq.signal, notify: ctx.mcpReq.notify }),
    );
  return server;
}

// A changed tool, prompt or resource list concerns every client. Anything else the shared server sends unasked (log
// messages, resource updates) may carry what one client did, so it goes to no client.
const LIST_CHANGES = {
  'notifications/tools/list_changed': 'toolsChanged',
  'notifications/prompts/list_changed': 'promptsChanged',
  'notifications/resources/list_changed': 'resourcesChanged',
};

export function concernsEveryClient(method) {
  return Object.hasOwn(LIST_CHANGES, method);
}

/** The method of a 2026-07-28 handler's `notify` that publishes this list change to `subscriptions/listen` streams. */
export function listChangePublisher(method) {
  return LIST_CHANGES[method];
}
