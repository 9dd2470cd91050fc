// One JSON object per line on stdout: the container runtime collects it, and Loki parses it without a pattern.

export function log(level, msg, fields = {}) {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
}
