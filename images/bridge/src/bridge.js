// mcp-suite's bridge: one stdio MCP server process per replica, served over streamable HTTP to any number of
// clients, of revision 2026-07-28 (modern.js) and of the 2025 revisions (sessions.js). Usage: see options.js.

import { watch } from 'node:fs';
import http from 'node:http';
import { constants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

import { toWebRequest } from '@modelcontextprotocol/node';
import { isLegacyRequest } from '@modelcontextprotocol/server';

import { hostChecker } from './hosts.js';
import { log } from './log.js';
import { ModernRequests } from './modern.js';
import { IN_FLIGHT_BOUND_SECONDS, parseOptions, UsageError } from './options.js';
import { concernsEveryClient } from './relay.js';
import { Sessions, rpcError } from './sessions.js';
import { Telemetry } from './telemetry.js';
import { Upstream } from './upstream.js';

async function main() {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`bridge: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const upstream = new Upstream({
    words: options.stdio,
    serialize: options.serialize,
    requestTimeoutSeconds: options.requestTimeoutSeconds,
    devSource: options.devSource,
    onExit: () => {
      // Without its server the replica is useless; exiting lets the orchestrator start a fresh one.
      log('error', 'server process exited; stopping the bridge');
      process.exit(1);
    },
  });
  await upstream.start();
  if (options.devSource !== undefined) {
    watchSource(options.devSource, upstream);
  }
  const telemetry = new Telemetry({
    serviceName: options.stdio[0].replace(/@[^@]*$/, ''),
    knownTool: (name) => upstream.hasTool(name),
  });
  const sessions = new Sessions({
    upstream,
    telemetry,
    stateful: options.sessions === 'stateful',
    timeoutSeconds: options.sessionTimeoutSeconds,
    maxSessions: options.maxSessions,
  });
  const modern = new ModernRequests({
    upstream,
    telemetry,
    maxBodyBytes: options.maxBodyBytes,
    maxSubscriptions: options.maxSessions,
  });
  relayNotifications(upstream, [sessions, modern]);
  const clients = { sessions, modern, hosts: hostChecker(options.allowedHosts), telemetry };
  const stopping = { draining: false, answering: new Set() };
  const server = http.createServer((req, res) => {
    stopping.answering.add(res);
    res.once('close', () => stopping.answering.delete(res));
    if (stopping.draining) {
      closeConnectionAfter(res);
    }
    route(req, res, options, upstream, clients, stopping).catch((error) => {
      log('error', 'request failed', { error: String(error) });
      if (!res.headersSent) {
        rpcError(res, 500, -32603, 'Internal error');
      } else {
        res.end();
      }
    });
  });
  // Streams stay open for as long as a tool call runs; the gateway in front bounds them.
  server.requestTimeout = 0;
  server.listen(options.port, () => log('info', 'listening', { port: options.port, path: options.path, ...summary(options) }));
  const stop = async (signal) => {
    if (stopping.draining) {
      // An operator's second Ctrl-C: they do not want to wait. The exit code is a shell's for a killed command.
      log('warn', 'second signal; exiting now', { signal });
      process.exit(128 + constants.signals[signal]);
    }
    // Until proxies and load balancers have seen the failing health check, requests keep coming here.
    stopping.draining = true;
    log('info', 'draining', { signal, seconds: options.drainSeconds });
    await sleep(options.drainSeconds * 1000);
    server.close();
    // A 2025 session's GET stream and a `subscriptions/listen` stream only carry notifications and never end on their
    // own: they are not waited for, and are cut below along with any request the bound leaves unfinished.
    const inFlight = () => [...stopping.answering].filter((res) => !res.listening && res.req.method !== 'GET').length;
    const deadline = Date.now() + IN_FLIGHT_BOUND_SECONDS * 1000;
    while (inFlight() > 0 && Date.now() < deadline) {
      await sleep(50);
    }
    log('info', 'stopping', { unfinished: inFlight() });
    server.closeAllConnections();
    await sessions.closeAll();
    await modern.close();
    await upstream.close();
    await telemetry.close();
    process.exit(0);
  };
  // As PID 1 Node.js has no default handler for these; without one, a rollout waits for the kill timeout.
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

// Tells a proxy not to send another request on this connection, which the bridge is about to close. The header is
// pinned because the MCP SDK writes its own `Connection: keep-alive` on event streams.
function closeConnectionAfter(res) {
  res.setHeader('connection', 'close');
  const setHeader = res.setHeader.bind(res);
  res.setHeader = (name, value) => (name.toLowerCase() === 'connection' ? res : setHeader(name, value));
}

// Hot reload: a burst of writes (an editor's save, a build) restarts the server once, 300 ms after the last one.
function watchSource(directory, upstream) {
  let timer;
  let restarting = Promise.resolve();
  watch(directory, { recursive: true }, (_event, file) => {
    if (file?.startsWith('.git')) {
      return;
    }
    clearTimeout(timer);
    timer = setTimeout(() => {
      restarting = restarting.then(async () => {
        log('info', 'source changed; restarting the server', { file });
        await upstream.restart();
      });
    }, 300);
  });
  log('info', 'watching the server source', { directory });
}

function summary(options) {
  const { sessions, sessionTimeoutSeconds, maxSessions, serialize, drainSeconds, devSource, allowedHosts } = options;
  return { sessions, sessionTimeoutSeconds, maxSessions, serialize, drainSeconds, devSource, allowedHosts };
}

// The server's unasked notifications: list changes go to every client of both revisions, the rest to none (see
// relay.js), which is logged once per kind so an operator can tell why a client never sees them.
function relayNotifications(upstream, audiences) {
  const unrelayed = new Set();
  upstream.onNotification = (notification) => {
    if (concernsEveryClient(notification.method)) {
      audiences.forEach((audience) => audience.broadcast(notification));
    } else if (!unrelayed.has(notification.method)) {
      unrelayed.add(notification.method);
      log('info', 'server notifications of this kind are not relayed', { method: notification.method });
    }
  };
}

async function route(req, res, options, upstream, clients, stopping) {
  const { sessions, modern, hosts, telemetry } = clients;
  const { pathname } = new URL(req.url ?? '/', 'http://bridge');
  if (pathname === options.healthPath) {
    const status = stopping.draining ? 'draining' : upstream.ready ? 'ok' : 'server down';
    res.writeHead(status === 'ok' ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status, sessions: sessions.open.size, reaped: sessions.reaped, inFlight: upstream.inFlight }));
    return;
  }
  if (options.metricsEndpoint && pathname === options.metricsPath && req.method === 'GET') {
    telemetry.serve(req, res);
    return;
  }
  if (pathname !== options.path) {
    rpcError(res, 404, -32000, `Not found: the MCP endpoint is ${options.path}`);
    return;
  }
  const refused = hosts.refusal(req);
  if (refused !== undefined) {
    rpcError(res, 403, -32000, `Forbidden: ${refused}; the bridge's --allowed-hosts lists the names it answers to`);
    return;
  }
  let body;
  if (req.method === 'POST') {
    const text = await readBody(req, options.maxBodyBytes);
    if (text === undefined) {
      rpcError(res, 413, -32000, `Request body over ${options.maxBodyBytes} bytes`);
      return;
    }
    try {
      body = JSON.parse(text);
    } catch {
      rpcError(res, 400, -32700, 'Parse error: the body is not JSON');
      return;
    }
  }
  // The SDK's own classification: a request that carries 2026-07-28's `_meta` envelope (or its version header) is
  // modern, everything else (initialize, a session's requests, GET and DELETE) belongs to a 2025 session.
  if (req.method === 'POST' && !(await isLegacyRequest(await toWebRequest(req, body), body))) {
    res.listening = body?.method === 'subscriptions/listen';
    await modern.handle(req, res, body);
    return;
  }
  await sessions.handle(req, res, body);
}

async function readBody(req, limit) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) {
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

main().catch((error) => {
  log('error', 'bridge failed to start', { error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
