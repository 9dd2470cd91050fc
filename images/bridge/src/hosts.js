// DNS rebinding protection: a web page on a foreign site that gets its name to resolve to this server's address
// must not reach the MCP endpoint with a browser. Its requests carry the foreign name in `Host`, and `Origin` when
// a script sends them; both are refused unless they name this server.
//
// Allowed: localhost names, IP literals (a page on an IP address is that address's own origin, no rebinding is
// involved, and probes and in-cluster callers address pods and Services that way), and the names given with
// --allowed-hosts (the Service's names and the public host names the gateway forwards, rendered by the program).

import { isIP } from 'node:net';

const LOCAL_NAMES = ['localhost', '127.0.0.1', '[::1]', '::1'];

/** A checker for one bridge: `refusal(req)` says why a request is refused, or undefined when it may pass. */
export function hostChecker(allowedHosts) {
  const allowed = new Set([...LOCAL_NAMES, ...allowedHosts.map((host) => host.toLowerCase())]);
  const permits = (hostname) => allowed.has(hostname) || isIP(hostname.replace(/^\[|\]$/g, '')) !== 0;
  return {
    refusal(req) {
      const host = hostnameOf(`http://${req.headers.host ?? ''}`);
      if (host === undefined || !permits(host)) {
        return `Host '${req.headers.host ?? ''}' is not a name of this server`;
      }
      const origin = req.headers.origin;
      // Browsers send `Origin: null` from sandboxed frames and local files: never a name of this server.
      if (origin !== undefined) {
        const originHost = hostnameOf(origin);
        if (originHost === undefined || !permits(originHost)) {
          return `Origin '${origin}' is not a name of this server`;
        }
      }
      return undefined;
    },
  };
}

function hostnameOf(url) {
  try {
    const { hostname } = new URL(url);
    return hostname === '' ? undefined : hostname.toLowerCase();
  } catch {
    return undefined;
  }
}
