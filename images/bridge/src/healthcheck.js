// The container health check: the runtime image has no shell, wget or curl, so Node.js asks the health endpoint.
// Usage: healthcheck.js <url>; exit 0 on HTTP 200, 1 otherwise.

const url = process.argv[2];
fetch(url, { signal: AbortSignal.timeout(2500) })
  .then((response) => process.exit(response.status === 200 ? 0 : 1))
  .catch(() => process.exit(1));
