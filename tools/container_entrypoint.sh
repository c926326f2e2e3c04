#!/bin/sh
# The pipeline image's entry point: runs the pipeline as the container's only process (PID 1),
# with exactly the permission and V8 flags `deno task start` would give it for this environment,
# its heap limit derived from the container's memory limit (tools/container_command.ts prints
# that command; this shell then replaces itself with it). SIGTERM from `docker stop` reaches the
# pipeline directly, which stops gracefully within SHUTDOWN_TIMEOUT. Pipeline flags may follow.
set -eu
out=$(deno run --quiet --no-prompt --allow-env --allow-read tools/container_command.ts "$@")
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
