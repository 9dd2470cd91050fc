// The one stdio server process of this replica, and every session's requests relayed to it.
//
// All sessions share this process, so a server that keeps state sees one consistent copy of it. A server that is
// not safe for concurrent calls (it reads, changes and rewrites a file per call, as server-memory does) is given
// one request at a time (`serialize`), so no acknowledged write is overwritten by a call that read the file before
// it.

import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

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
    this.toolNames = new Set();
  }

  /** Whether the server offers a tool of this name, as its last `tools/list` said. */
  hasTool(name) {
    return this.toolNames.has(name);
  }

  // Read again whenever the server says its tools changed, so a new tool is counted under its own name.
  async refreshTools() {
    if (this.client.getServerCapabilities()?.tools === undefined) {
      return;
    }
    const names = new Set();
    let cursor;
    do {
      const page = await this.client.listTools(cursor === undefined ? {} : { cursor });
      page.tools.forEach((tool) => names.add(tool.name));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    this.toolNames = names;
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
    this.client.fallbackNotificationHandler = async (notification) => {
      if (notification.method === 'notifications/tools/list_changed') {
        await this.refreshTools().catch((error) => log('warn', 'tools/list failed', { error: String(error) }));
      }
      this.onNotification(notification);
    };
    await this.client.connect(transport);
    await this.refreshTools();
    this.ready = true;
    log('info', 'server started', { pid: transport.pid, server: this.client.getServerVersion() });
  }

  /**
   * What the server said about itself at start: each client's `initialize` or `server/discover` answers with it. The
   * server's own protocol revision is not passed on: the bridge speaks each client's revision.
   */
  get identity() {
    return {
      serverInfo: this.client.getServerVersion(),
      capabilities: this.client.getServerCapabilities() ?? {},
      instructions: this.client.getInstructions(),
    };
  }

  /**
   * Relay one client's request and return the server's result; the server's errors keep their codes. `signal` ends
   * the request when the client goes away; `notify` carries its progress notifications back.
   */
  forward(request, { signal, notify }) {
    const run = async () => {
      signal.throwIfAborted();
      this.inFlight += 1;
      try {
        return await this.client.request({ method: request.method, params: request.params }, ANY_RESULT, {
          signal,
          timeout: this.timeoutMs,
          ...progressRelay(request, notify),
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

// The stdio servers speak a 2025 revision, so the plain `initialize` handshake (the client's default) is used.
function newClient() {
  return new Client({ name: 'mcp-suite-bridge', version: '1' }, { capabilities: {} });
}

// Results pass through as the server wrote them: the serving side checks and encodes them for each client's revision,
// and a method this SDK does not know (a server's extension) still gets its answer.
const ANY_RESULT = { '~standard': { version: 1, vendor: 'mcp-suite-bridge', validate: (value) => ({ value }) } };

// The SDK gives the server a progress token of its own; progress comes back to the client under the token the client
// chose.
function progressRelay(request, notify) {
  const token = request.params?._meta?.progressToken;
  if (token === undefined) {
    return {};
  }
  return {
    onprogress: (progress) => notify({ method: 'notifications/progress', params: { ...progress, progressToken: token } }),
  };
}
