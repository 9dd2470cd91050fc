// Clients of the 2025 revisions: MCP sessions over streamable HTTP, each a small object in this process (no process
// of its own), reaped when a client leaves without `DELETE`. In `stateless` mode every request stands alone.

import { randomUUID } from 'node:crypto';

import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { isInitializeRequest } from '@modelcontextprotocol/server';

import { log } from './log.js';
import { relayServer } from './relay.js';

export class Sessions {
  constructor({ upstream, telemetry, stateful, timeoutSeconds, maxSessions }) {
    this.upstream = upstream;
    this.telemetry = telemetry;
    this.stateful = stateful;
    this.timeoutMs = timeoutSeconds * 1000;
    this.maxSessions = maxSessions;
    this.open = new Map();
    this.reaped = 0;
    // Checked a few times per timeout, so a session lives at most about 1.25 timeouts after its last request.
    this.reaper = setInterval(() => this.reap(), Math.min(this.timeoutMs / 4, 30_000));
    this.reaper.unref();
  }

  /** Answer one request to the MCP path; `body` is the parsed JSON of a POST. */
  async handle(req, res, body) {
    if (!this.stateful) {
      return this.handleStateless(req, res, body);
    }
    const id = req.headers['mcp-session-id'];
    if (typeof id === 'string') {
      const session = this.open.get(id);
      if (session === undefined) {
        // The spec's answer for an ended or unknown session: the client starts a new one.
        return rpcError(res, 404, -32001, 'Session not found; initialize a new session');
      }
      return this.serve(session, req, res, body);
    }
    if (req.method !== 'POST' || !isInitializeRequest(body)) {
      return rpcError(res, 400, -32000, 'Bad Request: send initialize first, or the Mcp-Session-Id header');
    }
    if (this.open.size >= this.maxSessions) {
      return rpcError(res, 503, -32000, `Server busy: ${this.open.size} sessions are open; try again later`);
    }
    const session = { lastSeen: Date.now(), active: 0 };
    session.transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sessionId) => this.open.set(sessionId, session),
      onsessionclosed: (sessionId) => this.end(sessionId, 'closed by client'),
    });
    session.server = relayServer(this.upstream, this.telemetry);
    await session.server.connect(session.transport);
    return this.serve(session, req, res, body);
  }

  async serve(session, req, res, body) {
    // A session with a request or stream in progress is in use, however long the stream lasts.
    session.active += 1;
    session.lastSeen = Date.now();
    res.on('close', () => {
      session.active -= 1;
      session.lastSeen = Date.now();
    });
    await session.transport.handleRequest(req, res, body);
  }

  async handleStateless(req, res, body) {
    const transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    const server = relayServer(this.upstream, this.telemetry);
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  reap(now = Date.now()) {
    for (const [id, session] of this.open) {
      if (session.active === 0 && now - session.lastSeen > this.timeoutMs) {
        this.reaped += 1;
        this.end(id, 'idle past the session timeout');
      }
    }
  }

  end(id, reason) {
    const session = this.open.get(id);
    if (session === undefined) {
      return;
    }
    this.open.delete(id);
    void session.transport.close();
    void session.server.close();
    log('info', 'session ended', { session: id, reason });
  }

  /** Send a notification that concerns every client (see relay.js) to every open session. */
  broadcast(notification) {
    for (const session of this.open.values()) {
      session.server.notification(notification).catch(() => undefined);
    }
  }

  async closeAll() {
    clearInterval(this.reaper);
    for (const id of [...this.open.keys()]) {
      this.end(id, 'bridge stopping');
    }
  }
}

export function rpcError(res, status, code, message) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}
