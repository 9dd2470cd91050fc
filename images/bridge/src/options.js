// Command-line flags of the bridge. A wrong flag stops the bridge before it listens, with a message that names the
// flag and what it takes, so a bad catalog entry shows in the container's log rather than as a crash loop.

// How long a stop waits, after the drain, for requests still being answered. Tool calls may run longer, but the
// orchestrator's kill comes regardless (Kubernetes' grace period is 30 s, by default and in this suite): 5 s of
// drain and 20 s of this leave time for the bridge, not SIGKILL, to stop the server process.
export const IN_FLIGHT_BOUND_SECONDS = 20;

const USAGE = `usage: bridge.js --stdio "<server command>" --port <1-65535> [--path /mcp] [--health-path /healthz]
  [--metrics-path /metrics | --no-metrics-endpoint] [--sessions stateful|stateless]
  [--session-timeout-seconds 1800] [--max-sessions 200] [--serialize] [--request-timeout-seconds 60]
  [--max-body-bytes 4194304] [--drain-seconds 5] [--allowed-hosts name,name] [--dev-source /app/dev-source]
--sessions and --max-sessions concern clients of the 2025 revisions; 2026-07-28 clients keep no session, and
--max-sessions also bounds their open subscriptions/listen streams. --allowed-hosts: the host names (besides
localhost and IP addresses) the MCP endpoint answers to in Host and Origin; others get 403.
--no-metrics-endpoint serves no metrics, where every path of the port is public (the request log keeps them).
On SIGTERM or SIGINT it drains for --drain-seconds (serving on, with a failing health check and no keep-alive),
then stops listening, waits up to ${IN_FLIGHT_BOUND_SECONDS} s for the requests in flight and exits; a second signal
exits at once.`;

const DEFAULTS = {
  path: '/mcp',
  healthPath: '/healthz',
  metricsPath: '/metrics',
  metricsEndpoint: true,
  allowedHosts: [],
  sessions: 'stateful',
  sessionTimeoutSeconds: 1800,
  maxSessions: 200,
  serialize: false,
  requestTimeoutSeconds: 60,
  maxBodyBytes: 4 * 1024 * 1024,
  drainSeconds: 5,
};

const FLAGS = {
  '--stdio': ['stdio', (value) => words(value)],
  '--port': ['port', (value) => integer(value, 1, 65535)],
  '--path': ['path', urlPath],
  '--health-path': ['healthPath', urlPath],
  '--metrics-path': ['metricsPath', urlPath],
  '--allowed-hosts': ['allowedHosts', hostNames],
  '--sessions': ['sessions', (value) => oneOf(value, ['stateful', 'stateless'])],
  '--session-timeout-seconds': ['sessionTimeoutSeconds', (value) => integer(value, 1, 86400)],
  '--max-sessions': ['maxSessions', (value) => integer(value, 1, 100000)],
  '--request-timeout-seconds': ['requestTimeoutSeconds', (value) => integer(value, 1, 3600)],
  '--max-body-bytes': ['maxBodyBytes', (value) => integer(value, 1024, 64 * 1024 * 1024)],
  // Time for proxies and load balancers to see the failing health check and stop sending requests here.
  '--drain-seconds': ['drainSeconds', (value) => integer(value, 0, 300)],
  // Hot reload (dev stack only): run the server from this checkout of its package and restart it on any change.
  '--dev-source': ['devSource', absolutePath],
};

export class UsageError extends Error {}

/** The bridge's settings from its argument list; throws UsageError naming the first wrong flag. */
export function parseOptions(argv) {
  const options = { ...DEFAULTS };
  for (let index = 0; index < argv.length; index += 1) {
    const flag = argv[index];
    if (flag === '--serialize') {
      options.serialize = true;
      continue;
    }
    if (flag === '--no-metrics-endpoint') {
      options.metricsEndpoint = false;
      continue;
    }
    const known = FLAGS[flag];
    if (known === undefined) {
      throw new UsageError(`unknown flag '${flag}'\n${USAGE}`);
    }
    const value = argv[index + 1];
    if (value === undefined) {
      throw new UsageError(`${flag} needs a value\n${USAGE}`);
    }
    const [key, parse] = known;
    try {
      options[key] = parse(value);
    } catch (error) {
      throw new UsageError(`${flag}: ${error.message}`);
    }
    index += 1;
  }
  for (const required of ['stdio', 'port']) {
    if (options[required] === undefined) {
      throw new UsageError(`--${required} is required\n${USAGE}`);
    }
  }
  const paths = [
    ['--path', options.path],
    ['--health-path', options.healthPath],
    ['--metrics-path', options.metricsPath],
  ];
  for (const [index, [flag, value]] of paths.entries()) {
    const same = paths.slice(index + 1).find(([, other]) => other === value);
    if (same !== undefined) {
      throw new UsageError(`${flag} and ${same[0]} are both '${value}'; give each its own path`);
    }
  }
  return options;
}

function integer(value, low, high) {
  if (!/^[0-9]+$/.test(value) || Number(value) < low || Number(value) > high) {
    throw new Error(`expected a whole number from ${low} to ${high}, got '${value}'`);
  }
  return Number(value);
}

function urlPath(value) {
  if (!/^\/[A-Za-z0-9._~/-]*$/.test(value)) {
    throw new Error(`expected an absolute URL path such as /mcp, got '${value}'`);
  }
  return value;
}

function hostNames(value) {
  const names = value.split(',').filter((name) => name !== '');
  const wrong = names.find((name) => !/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(name));
  if (names.length === 0 || wrong !== undefined) {
    throw new Error(`expected host names separated by commas, such as mcp.example.com,everything, got '${wrong ?? value}'`);
  }
  return names;
}

function absolutePath(value) {
  if (!/^\/\S*$/.test(value)) {
    throw new Error(`expected an absolute directory path, got '${value}'`);
  }
  return value;
}

function oneOf(value, allowed) {
  if (!allowed.includes(value)) {
    throw new Error(`expected one of ${allowed.join(', ')}, got '${value}'`);
  }
  return value;
}

// The command runs without a shell (the runtime image has none), so quoting and shell syntax would be passed to
// the server literally; they are refused instead.
function words(value) {
  if (/["'`$|&;<>()\\*?]/.test(value)) {
    throw new Error(`'${value}' uses shell syntax; the server runs without a shell, give plain words`);
  }
  const parts = value.split(/\s+/).filter((part) => part !== '');
  if (parts.length === 0) {
    throw new Error('the server command is empty');
  }
  return parts;
}
