# The pipeline image: one program, role chosen by ROLE (ingest | process | archive | all).
# Build: docker build -t crypto-pipeline .   (compose.yaml builds it for you)
FROM denoland/deno:2.9.6

WORKDIR /app
# The image's unprivileged `deno` user owns the app dir and the data dir the start task may write.
RUN mkdir -p /app/data && chown -R deno:deno /app
USER deno

# Dependencies first, so editing sources does not invalidate this layer. --frozen fails the build
# when deno.lock is stale instead of resolving different versions than CI tested.
COPY --chown=deno:deno deno.json deno.lock ./
RUN deno install --frozen

COPY --chown=deno:deno src/ ./src/
COPY --chown=deno:deno actors/ ./actors/
# Type-check-free cache of every module main.ts reaches, so the container starts offline.
RUN deno install --frozen --entrypoint src/main.ts

ENV HTTP_ADDR=0.0.0.0:9464 \
    ROLE=all
EXPOSE 9464

HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=5 \
  CMD ["deno", "eval", "const r = await fetch('http://127.0.0.1:9464/health'); Deno.exit(r.ok ? 0 : 1)"]

# `deno task start` carries the least-privilege permission flags from deno.json.
CMD ["deno", "task", "start"]
