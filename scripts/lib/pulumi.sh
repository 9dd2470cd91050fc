# shellcheck shell=bash
# Sourced by the scripts that run the Pulumi CLI: the engine on PATH and every engine call under a hard time limit.

# Puts the Pulumi engine on PATH: the user's own CLI where there is one, else the one scripts/pulumi-engine builds
# (air-gapped machines, CI). Returns non-zero, having said what to install, where neither can be had.
use_pulumi_engine() {
  local lines
  lines=$(scripts/pulumi-engine) || return
  eval "$lines"
}

# `pulumi ARGS...` killed, with every process it started (language host, plugins, policy pack), after
# MCP_SUITE_PULUMI_TIMEOUT seconds (default 1800). A policy pack whose Python cannot start makes some language
# hosts wait forever and ignore SIGTERM, so the limit sends SIGKILL; timeout(1) signals its whole process group.
pulumi_limited() {
  local limit=${MCP_SUITE_PULUMI_TIMEOUT:-1800} status=0
  timeout -s KILL "$limit" pulumi "$@" || status=$?
  if ((status == 137)); then
    echo "error: 'pulumi $1' did not finish within $limit s and was stopped (MCP_SUITE_PULUMI_TIMEOUT sets the limit)" >&2
  fi
  return "$status"
}
