// The one stdio server process of this replica, and every session's requests relayed to it.
//
// All sessions share this process, so a server that keeps state sees one consistent copy of it. A server that is
// not safe for concurrent calls (it reads, changes and rewrites a file per call, as server-memory does) is given
// one request at a time (`serialize`), so no acknowledged write is overwritten by a call that read the file before
// it.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ResultSchema } from '@modelcontextprotocol/sdk/types.js';

import { resolveCommand, resolveDevCommand } from './command.js';
import { log } from './log.js';

export class Upstream {
  constructor({ words, serialize, requestTimeoutSeconds, devSource, onExit }) {
    this.target = devSource === undefined ? resolveCommand(words) : resolveDevCommand(words, devSource);
    this.serialize = serialize;
    this.timeoutMs = requestTimeoutSeconds * 1000;
    this.client = newClient();
    this.tail = Promise.resolve();
    this.ready = false;
    this.inFlight = 0;
    this.closing = false;
    this.onExit = onExit;
    this.onNotification = () => {};
  }

  async start() {
    const transport = new StdioClientTransport({
      ...this.target,
      // The whole environment: the server's settings (MEMORY_FILE_PATH and the like) arrive as variables.
      env: { ...process.env },
      stderr: 'inherit',
    });
    transport.onclose = () => {
      this.ready = false;
      if (!this.closing) {
        this.onExit();
      }
    };
    this.client.fallbackNotificationHandler = async (notification) => this.onNotification(notification);
    await this.client.connect(transport);
    this.ready = true;
    log('info', 'server started', { pid: transport.pid, server: this.client.getServerVersion() });
  }

  /** What the server said about itself at start: each session's `initialize` answers with it. */
  get identity() {
    return {
      serverInfo: this.client.getServerVersion(),
      capabilities: this.client.getServerCapabilities() ?? {},
      instructions: this.client.getInstructions(),
    };
  }

  /** Relay one session's request and return the server's result; the server's errors keep their codes. */
  forward(request, extra) {
    const run = async () => {
      extra.signal.throwIfAborted();
      this.inFlight += 1;
      try {
        return await this.client.request({ method: request.method, params: request.params }, ResultSchema, {
          signal: extra.signal,
          timeout: this.timeoutMs,
          ...progressRelay(request, extra),
        });
      } finally {
        this.inFlight -= 1;
      }
    };
    if (!this.serialize) {
      return run();
    }
    const result = this.tail.then(run, run);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  async close() {
    this.closing = true;
    this.ready = false;
    await this.client.close();
  }

  /** Stop the server and start it again from its files (hot reload); sessions stay open. */
  async restart() {
    await this.close();
    this.client = newClient();
    this.closing = false;
    await this.start();
  }
}

function newClient() {
  return new Client({ name: 'mcp-suite-bridge', version: '1' }, { capabilities: {} });
}

// The SDK gives the server a progress token of its own; progress comes back to the session under the token the
// session chose.
function progressRelay(request, extra) {
  const token = request.params?._meta?.progressToken;
  if (token === undefined) {
    return {};
  }
  return {
    onprogress: (progress) =>
      extra.sendNotification({ method: 'notifications/progress', params: { ...progress, progressToken: token } }),
  };
}
