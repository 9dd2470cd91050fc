// Which catalog service a path names: https://<PUBLIC_HOSTNAME>/<service>/mcp.

export const MCP_METHODS = ["POST", "GET", "DELETE", "OPTIONS"];
export const SERVICE_NAME = /^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/;

export function routeService(pathname, services) {
  const match = /^\/([^/]+)\/mcp$/.exec(pathname);
  if (match === null || !SERVICE_NAME.test(match[1]) || !services.has(match[1])) {
    return null;
  }
  return match[1];
}
