// Start the bridge as its own process, as the image does, and talk to it with the official SDK client.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const BRIDGE = path.join(HERE, '..', 'src', 'bridge.js');
export const SERVERS = path.join(HERE, '..', '..', 'servers');

export async function freePort() {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address();
  probe.close();
  return port;
}

/**
 * Run the bridge for the server package `server` (a folder of images/servers) until `stop()`. No drain unless asked
 * for: every test's `stop()` would wait it out.
 */
export async function startBridge({ server, args, env = {}, drainSeconds = 0 }) {
  const port = await freePort();
  const flags = ['--port', String(port), '--drain-seconds', String(drainSeconds), ...args];
  const child = spawn(process.execPath, [BRIDGE, ...flags], {
    env: { ...process.env, MCP_SERVER_DIR: path.join(SERVERS, server), ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = [];
  child.stdout.setEncoding('utf8');
  let buffered = '';
  const listening = new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      let end;
      while ((end = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 1);
        lines.push(line);
        if (line.includes('"listening"')) {
          resolve();
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`bridge exited with ${code} before listening: ${lines.join('\n')}`)));
  });
  await listening;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    lines,
    child,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    },
  };
}

/**
 * A client of the official SDK: `legacy` opens a 2025-11-25 session with `initialize`; `auto` asks
 * `server/discover` first and speaks 2026-07-28 where the server offers it.
 */
export async function connect(url, name = 'test-client', mode = 'legacy') {
  const client = new Client({ name, version: '1' }, { versionNegotiation: { mode } });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
  return client;
}

export async function health(url) {
  const response = await fetch(`${url}/healthz`);
  return { status: response.status, body: await response.json() };
}
