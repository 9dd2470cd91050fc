// Run a server command as the bridge would, on this process's stdin and stdout: for tools that talk to the server
// over stdio directly (the tool manifest collector). Usage: run-server.js <package>@<version> [args...]
// with MCP_SERVER_DIR naming the folder the package is installed in.

import { spawn } from 'node:child_process';

import { resolveCommand } from './command.js';

let target;
try {
  target = resolveCommand(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`run-server: ${error.message}\n`);
  process.exit(2);
}
const child = spawn(target.command, target.args, { stdio: 'inherit' });
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : 128)));
