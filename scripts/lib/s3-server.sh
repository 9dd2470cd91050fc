# shellcheck shell=bash
# Sourced by the tests that need a real S3-compatible server (test fixture only: users bring their own S3 bucket,
# and a deploy never builds or runs this). Built from the Go module proxy, run as a plain process on this machine.
#
# Server: Versity S3 Gateway (github.com/versity/versitygw) v1.8.0, `posix` backend: each bucket is a directory
# under DATA_DIR, each object a file, metadata in extended attributes (ext4, xfs and tmpfs have them). License:
# Apache-2.0. Chosen over rclone `serve s3` (MIT, 269 module requirements, every rclone backend compiled in) and
# SeaweedFS `weed server -s3` (Apache-2.0, 494 requirements and a replace directive, which `go install
# pkg@version` refuses) for the smallest build: 81 requirements, no replace directive, installs as
# `go install ...@v1.8.0`. MinIO is AGPL, so it is out. Cold build (empty module and build caches, 2 cores):
# about 9.5 minutes; the binary is then cached per version under ${MCP_SUITE_CACHE:-~/.cache/mcp-suite}/s3-server/.
# restic 0.18.1 (the cluster's) passes init, backup, forget --prune, check --read-data-subset, restore --verify
# against it. restic's `init` creates a missing bucket, but `restic cat config` (the backup script's first step)
# against a missing bucket retries NoSuchBucket for many minutes before failing, as against any S3: a test
# creates its bucket first with create_s3_bucket, like a user whose bucket exists before the first backup.
S3_SERVER_NAME=versitygw
S3_SERVER_PACKAGE=github.com/versity/versitygw/cmd/versitygw
S3_SERVER_VERSION=v1.8.0

# Builds the pinned server once (cached per version) and prints the binary's path. The build goes to a temporary
# directory beside the cache entry and is renamed into place only when complete, so an interrupted build is never
# taken for a good one. Build output goes to stderr.
build_s3_server() {
  local cache target tmp
  cache=${MCP_SUITE_CACHE:-$HOME/.cache/mcp-suite}/s3-server
  target=$cache/$S3_SERVER_NAME-$S3_SERVER_VERSION
  if [[ ! -x $target/$S3_SERVER_NAME ]]; then
    command -v go >/dev/null || {
      echo "error: Go is needed to build $S3_SERVER_NAME $S3_SERVER_VERSION (the S3 test server)" >&2
      return 1
    }
    mkdir -p "$cache"
    tmp=$(mktemp -d "$cache/.build-$S3_SERVER_NAME-$S3_SERVER_VERSION.XXXXXX")
    echo "== building $S3_SERVER_NAME $S3_SERVER_VERSION (once, about 10 minutes cold; cached in $target)" >&2
    if ! GOBIN=$tmp go install "$S3_SERVER_PACKAGE@$S3_SERVER_VERSION" >&2; then
      rm -rf "$tmp"
      echo "error: building $S3_SERVER_NAME $S3_SERVER_VERSION failed" >&2
      return 1
    fi
    # Another build may have finished first: keep the one in place.
    if ! mv -T "$tmp" "$target" 2>/dev/null; then
      rm -rf "$tmp"
      [[ -x $target/$S3_SERVER_NAME ]] || {
        echo "error: could not move the $S3_SERVER_NAME build into $target" >&2
        return 1
      }
    fi
  fi
  echo "$target/$S3_SERVER_NAME"
}

# start_s3_server ADDRESS DATA_DIR ACCESS_KEY SECRET_KEY LOG_FILE PID_FILE
# Starts the server in the background on ADDRESS (host:port, plain HTTP) with DATA_DIR as its storage (created if
# missing; buckets are its subdirectories) and one root key pair, logging to LOG_FILE, and writes its pid to
# PID_FILE. Returns once it answers HTTP (any status: an anonymous request is refused with 403), or fails after
# 30 s with the log's tail, having stopped it. Clients address buckets path-style: http://ADDRESS/BUCKET/KEY (restic:
# s3:http://ADDRESS/BUCKET/PREFIX). Stop it with stop_s3_server PID_FILE.
start_s3_server() {
  local address=$1 data_dir=$2 access_key=$3 secret_key=$4 log_file=$5 pid_file=$6 binary pid deadline
  binary=$(build_s3_server) || return
  # The server binds with SO_REUSEPORT: a second one on a taken address would start and share it silently.
  if _s3_server_answers "$address"; then
    echo "error: something already answers on $address; the S3 test server needs a free address" >&2
    return 1
  fi
  mkdir -p "$data_dir" "$(dirname "$log_file")" "$(dirname "$pid_file")"
  # Keys through the environment, not argv, so they do not show in ps. The log has one line per request.
  ROOT_ACCESS_KEY_ID=$access_key ROOT_SECRET_ACCESS_KEY=$secret_key \
    "$binary" --port "$address" posix "$data_dir" </dev/null >"$log_file" 2>&1 &
  pid=$!
  echo "$pid" >"$pid_file"
  deadline=$((SECONDS + 30))
  until _s3_server_answers "$address"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "error: the S3 test server ($S3_SERVER_NAME) exited before answering on $address; log $log_file:" >&2
      tail -n 20 "$log_file" >&2 || true
      return 1
    fi
    if ((SECONDS >= deadline)); then
      stop_s3_server "$pid_file"
      echo "error: the S3 test server ($S3_SERVER_NAME) did not answer on $address within 30 s; log $log_file:" >&2
      tail -n 20 "$log_file" >&2 || true
      return 1
    fi
    sleep 0.2
  done
}

# stop_s3_server PID_FILE
# Stops the server started with that PID_FILE: SIGTERM (it shuts down gracefully, within 2 s here), then
# SIGKILL after 15 s. Does nothing when the file is missing or the process is gone.
stop_s3_server() {
  local pid_file=$1 pid i
  [[ -s $pid_file ]] || return 0
  pid=$(<"$pid_file")
  kill "$pid" 2>/dev/null || { rm -f "$pid_file"; return 0; }
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$pid_file"
}

# create_s3_bucket ADDRESS BUCKET ACCESS_KEY SECRET_KEY
# Creates BUCKET on the server at ADDRESS (plain HTTP, path-style, SigV4 through curl); one that is already there
# is fine. The keys go to curl on its standard input, not its command line.
create_s3_bucket() {
  local address=$1 bucket=$2 access_key=$3 secret_key=$4 response status user
  user=$access_key:$secret_key
  user=${user//\\/\\\\}
  user=${user//\"/\\\"}
  response=$(printf 'user = "%s"\n' "$user" |
    curl -sS -K - --aws-sigv4 aws:amz:us-east-1:s3 -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
      -X PUT -w '\n%{http_code}' --max-time 10 "http://$address/$bucket") || {
    echo "error: could not reach the S3 test server on $address to create bucket $bucket" >&2
    return 1
  }
  status=${response##*$'\n'}
  if [[ $status == 200 || ($status == 409 && $response == *BucketAlreadyOwnedByYou*) ]]; then
    return 0
  fi
  echo "error: creating bucket $bucket on $address answered HTTP $status: ${response%$'\n'*}" >&2
  return 1
}

# Whether something answers HTTP on ADDRESS (host:port): any response counts. Without curl, an accepted TCP
# connection counts (the server listens only once its backend is ready).
_s3_server_answers() {
  if command -v curl >/dev/null; then
    curl -s -o /dev/null --max-time 2 "http://$1/"
  else
    (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null
  fi
}
