# The pipeline image: one program, role chosen by ROLE (ingest | process | archive | all).
# Build: docker build -t crypto-pipeline .   (compose.yaml builds it for you)
# The Debian variant (the plain version tag): the entry point and the health check need a shell.
FROM denoland/deno:2.9.6

WORKDIR /app
# The image's unprivileged `deno` user (uid 1993) owns the app dir; the pipeline writes nothing
# there in the stack (no SQLite), but a ROLE=all container with SQLITE_PATH may use data/.
RUN mkdir -p /app/data && chown -R deno:deno /app
USER deno

# Dependencies first, so editing sources does not invalidate this layer. --frozen fails the build
# when deno.lock is stale instead of resolving different versions than CI tested.
COPY --chown=deno:deno deno.json deno.lock ./
RUN deno install --frozen

COPY --chown=deno:deno src/ ./src/
COPY --chown=deno:deno actors/ ./actors/
COPY --chown=deno:deno tools/container_command.ts tools/container_entrypoint.sh ./tools/
# Type-check-free cache of every module the container runs (the window worker is loaded at run
# time), so it starts offline and without compiling.
RUN deno install --frozen --entrypoint src/main.ts tools/container_command.ts \
  actors/aggregators/window_worker_main.ts

ENV HTTP_ADDR=0.0.0.0:9464 \
    ROLE=all \
    LIVE_VIEW=off
EXPOSE 9464

# bash's /dev/tcp: no second Deno per check (~3 MB and <10 ms instead of ~40 MB and ~100 ms).
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9464 && printf 'GET /health HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nConnection: close\\r\\n\\r\\n' >&3 && IFS= read -r status <&3 && case \"$status\" in \"HTTP/1.1 200\"*) exit 0;; esac; exit 1"]

# The pipeline as the container's only process, with the flags `deno task start` would give it.
ENTRYPOINT ["/app/tools/container_entrypoint.sh"]
CMD []
