// Clients of revision 2026-07-28: every request stands alone (no `initialize`, no session), carrying its revision
// and capabilities in `_meta`. The SDK's handler answers `server/discover`, checks the `Mcp-Method` and `Mcp-Name`
// headers against the body (400 and -32020 when they disagree), adds the revision's cache fields to list results and
// serves `subscriptions/listen`; each request gets its own relay server, so no request sees another's state.

import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler } from '@modelcontextprotocol/server';

import { log } from './log.js';
import { listChangePublisher, relayServer } from './relay.js';

export class ModernRequests {
  constructor({ upstream, telemetry, maxBodyBytes, maxSubscriptions }) {
    const onerror = (error) => log('warn', 'request refused or failed', { error: error.message });
    this.handler = createMcpHandler(() => relayServer(upstream, telemetry), {
      // 2025 clients are served by Sessions, which keeps their sessions; this handler sees only 2026-07-28 requests.
      legacy: 'reject',
      maxRequestBodySize: maxBodyBytes,
      // A `subscriptions/listen` stream is what a 2025 session's GET stream was: bounded the same way.
      maxSubscriptions,
      onerror,
    });
    this.node = toNodeHandler(this.handler, { onerror, maxRequestBodySize: maxBodyBytes });
  }

  handle(req, res, body) {
    return this.node(req, res, body);
  }

  /** Publish a list change (see relay.js) to every `subscriptions/listen` stream that asked for it. */
  broadcast(notification) {
    this.handler.notify[listChangePublisher(notification.method)]();
  }

  close() {
    return this.handler.close();
  }
}
