#!/bin/sh
# The pipeline image's entry point: runs the pipeline as the container's only process, with
# exactly the permission and V8 flags `deno task start` would give it for this environment, its
# heap limit derived from the container's memory limit (tools/container_command.ts prints that
# command; this shell then replaces itself with it). SIGTERM from `docker stop` reaches the
# pipeline, which stops gracefully within SHUTDOWN_TIMEOUT. Pipeline flags may follow.
set -eu
# The container's memory limit: the root of the cgroup file system is the container's own cgroup
# (v2: memory.max; v1: memory/memory.limit_in_bytes). The shell reads it because Deno asks for
# --allow-all to read /sys.
CONTAINER_MEMORY_LIMIT=$(cat /sys/fs/cgroup/memory.max 2>/dev/null ||
  cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || echo max)
export CONTAINER_MEMORY_LIMIT
out=$(deno run --quiet --no-prompt --allow-env --allow-read tools/container_command.ts "$@")
unset CONTAINER_MEMORY_LIMIT
set -f
IFS='
'
# shellcheck disable=SC2086 # split on line breaks only, no globbing: one argument per line
set -- $out
if [ "${1:-}" != exec ]; then
  printf '%s\n' "$out"
  exit 0
fi
shift
exec "$@"
