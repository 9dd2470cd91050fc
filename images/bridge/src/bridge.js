// mcp-suite's bridge: one stdio MCP server process per replica, served over streamable HTTP to any number of
// sessions. Usage: see options.js.

import { watch } from 'node:fs';
import http from 'node:http';
import { constants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

import { log } from './log.js';
import { IN_FLIGHT_BOUND_SECONDS, parseOptions, UsageError } from './options.js';
import { Sessions, rpcError } from './sessions.js';
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
  const sessions = new Sessions({
    upstream,
    stateful: options.sessions === 'stateful',
    timeoutSeconds: options.sessionTimeoutSeconds,
    maxSessions: options.maxSessions,
  });
  const stopping = { draining: false, answering: new Set() };
  const server = http.createServer((req, res) => {
    stopping.answering.add(res);
    res.once('close', () => stopping.answering.delete(res));
    if (stopping.draining) {
      closeConnectionAfter(res);
    }
    route(req, res, options, upstream, sessions, stopping).catch((error) => {
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
    // A session's GET stream only carries notifications and never ends on its own: it is not waited for, and is cut
    // below along with any request the bound leaves unfinished.
    const inFlight = () => [...stopping.answering].filter((res) => res.req.method !== 'GET').length;
    const deadline = Date.now() + IN_FLIGHT_BOUND_SECONDS * 1000;
    while (inFlight() > 0 && Date.now() < deadline) {
      await sleep(50);
    }
    log('info', 'stopping', { unfinished: inFlight() });
    server.closeAllConnections();
    await sessions.closeAll();
    await upstream.close();
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
  const { sessions, sessionTimeoutSeconds, maxSessions, serialize, drainSeconds, devSource } = options;
  return { sessions, sessionTimeoutSeconds, maxSessions, serialize, drainSeconds, devSource };
}

async function route(req, res, options, upstream, sessions, stopping) {
  const { pathname } = new URL(req.url ?? '/', 'http://bridge');
  if (pathname === options.healthPath) {
    const status = stopping.draining ? 'draining' : upstream.ready ? 'ok' : 'server down';
    res.writeHead(status === 'ok' ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status, sessions: sessions.open.size, reaped: sessions.reaped, inFlight: upstream.inFlight }));
    return;
  }
  if (pathname !== options.path) {
    rpcError(res, 404, -32000, `Not found: the MCP endpoint is ${options.path}`);
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
