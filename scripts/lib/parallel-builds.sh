# Sourced: run builds side by side, each logging to its own file, and wait for all of them.
#   build NAME COMMAND [ARGS...]   start COMMAND in the background; its stdout and stderr go to NAME's log
#   wait_for_builds                wait for every build; print each one's time and `==` lines, and the whole log
#                                  of each that failed; return 1 when any failed
# Every build runs to its end even when another fails, so one run reports every failure and leaves each cache
# complete or absent, never half written by a killed build.
build_logs=$(mktemp -d "${TMPDIR:-/tmp}/mcp-suite-builds.XXXXXX")
build_names=()

build() {
  local name=$1
  shift
  build_names+=("$name")
  (
    started=$SECONDS
    if "$@" >"$build_logs/$name.log" 2>&1; then status=0; else status=$?; fi
    echo "$status $((SECONDS - started))" >"$build_logs/$name.status"
  ) &
}

wait_for_builds() {
  wait
  local name status seconds failed=()
  for name in "${build_names[@]}"; do
    # No status: the build's shell was killed before it could write one.
    status=killed seconds=?
    [[ -f $build_logs/$name.status ]] && read -r status seconds <"$build_logs/$name.status"
    if [[ $status == 0 ]]; then
      grep '^==' "$build_logs/$name.log" || true
      echo "== $name: ready in $seconds s"
    else
      echo "== $name: FAILED (exit $status) after $seconds s; its log:"
      cat "$build_logs/$name.log"
      failed+=("$name")
    fi
  done
  rm -rf "$build_logs"
  if ((${#failed[@]})); then
    echo "error: these builds failed: ${failed[*]}" >&2
    return 1
  fi
}
