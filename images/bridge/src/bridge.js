// mcp-suite's bridge: one stdio MCP server process per replica, served over streamable HTTP to any number of
// sessions. Usage: see options.js.

import { watch } from 'node:fs';
import http from 'node:http';

import { log } from './log.js';
import { parseOptions, UsageError } from './options.js';
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
  const server = http.createServer((req, res) => {
    route(req, res, options, upstream, sessions).catch((error) => {
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
    log('info', 'stopping', { signal });
    server.close();
    await sessions.closeAll();
    await upstream.close();
    process.exit(0);
  };
  // As PID 1 Node.js has no default handler for these; without one, a rollout waits for the kill timeout.
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
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
  const { sessions, sessionTimeoutSeconds, maxSessions, serialize, devSource } = options;
  return { sessions, sessionTimeoutSeconds, maxSessions, serialize, devSource };
}

async function route(req, res, options, upstream, sessions) {
  const { pathname } = new URL(req.url ?? '/', 'http://bridge');
  if (pathname === options.healthPath) {
    const healthy = upstream.ready;
    res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: healthy ? 'ok' : 'server down', sessions: sessions.open.size, reaped: sessions.reaped, inFlight: upstream.inFlight }));
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
