// DNS rebinding protection: a web page on a foreign site that gets its name to resolve to this server's address
// must not reach the MCP endpoint with a browser. Its requests carry the foreign name in `Host`, and `Origin` when
// a script sends them; both are refused unless they name this server.
//
// Allowed in `Host`: localhost, IP addresses (no rebinding is involved in asking for an address, and probes and
// in-cluster callers address pods and Services that way), and the names given with --allowed-hosts (the Service's
// names and the public host names the gateway forwards, rendered by the program). In `Origin`: those names, or the
// address the request itself went to.

import { isIP } from 'node:net';

// Loopback addresses too, for an Origin: a page served from this machine is local, whatever address the request
// went to.
const LOCAL_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/**
 * A checker for one bridge: `refusal(req)` says why a request is refused, or undefined when it may pass. The SDK's
 * own validators match names exactly; the bridge also takes IP addresses in `Host`, which they refuse.
 */
export function hostChecker(allowedHosts) {
  const names = new Set([...LOCAL_NAMES, ...allowedHosts.map((host) => host.toLowerCase())]);
  return {
    refusal(req) {
      const host = hostnameOf(`http://${req.headers.host ?? ''}`);
      if (host === undefined || !(names.has(host) || isIP(unbracketed(host)) !== 0)) {
        return `Host '${req.headers.host ?? ''}' is not a name of this server`;
      }
      const origin = req.headers.origin;
      // A page's origin is one of the server's names, or the very address the request was sent to; a page on any
      // other address is another site. Browsers send `Origin: null` from sandboxed frames and local files.
      if (origin !== undefined) {
        const originHost = hostnameOf(origin);
        if (originHost === undefined || !(names.has(originHost) || originHost === host)) {
          return `Origin '${origin}' is not a name of this server`;
        }
      }
      return undefined;
    },
  };
}

function unbracketed(hostname) {
  return hostname.replace(/^\[|\]$/g, '');
}

function hostnameOf(url) {
  try {
    const { hostname } = new URL(url);
    return hostname === '' ? undefined : hostname.toLowerCase();
  } catch {
    return undefined;
  }
}
