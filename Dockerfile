# syntax=docker/dockerfile:1
# One image for every wmi-detect process: `wmidetect serve ingest|detect|enrich`, `wmidetect topics create`, and the
# offline CLI. The Helm chart runs it with those args. Build:
#   docker build -t registry.example.com/security/wmi-detect:0.1.0 .
# Not built in this repository's CI (no container engine there): see docs/deploy.md. test/unit/dockerfile.test.ts
# checks the properties below statically.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: install everything, compile the TypeScript project references, then drop dev dependencies ----------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV CI=true \
    npm_config_audit=false \
    npm_config_fund=false \
    npm_config_update_notifier=false
# The whole context (filtered by .dockerignore): workspaces are discovered from packages/* and services/*, so listing
# their manifests one by one would silently miss the next workspace added. The npm cache mount keeps rebuilds fast.
# `npm ci` also compiles (the root `prepare` script runs `tsc -b`); `npm run build` is then an incremental no-op
# kept so the build does not depend on that hook. Only compiled output ships: no sources, tests, source maps or
# build info in the runtime image.
COPY . .
RUN --mount=type=cache,target=/root/.npm \
    npm ci \
 && npm run build \
 && npm prune --omit=dev \
 && rm -rf packages/*/src packages/*/test services/*/src services/*/test test bench docs deploy .ci \
 && find packages services -name '*.tsbuildinfo' -delete \
 && find packages services -name '*.map' -delete

# ---- runtime ----------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="wmi-detect" \
      org.opencontainers.image.description="Network detection of WMI/DCOM lateral movement: ingest, detect and enrich services" \
      org.opencontainers.image.licenses="Apache-2.0"
# A 4 MiB young generation: the engine allocates short-lived views per packet, and V8's default semi-space growth
# costs ≈ 40 MiB of RSS per process for no speed (docs/BENCHMARKS.md, Memory). Settable only at start-up.
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=4
# A fixed numeric non-root user: Kubernetes can then verify runAsNonRoot without a runAsUser, and files the app
# must not modify stay owned by root.
RUN groupadd --system --gid 10001 wmidetect \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin wmidetect
WORKDIR /app
COPY --from=build --chown=root:root /app /app
# The shipped rule pack at the default RULES_FILES location, so `docker run … serve detect` works without mounts;
# the chart mounts its ConfigMap over this directory.
COPY --from=build --chown=root:root /app/rules/ /etc/wmi-detect/rules/
USER 10001:10001
# 8080: ingest HTTP API (INGEST_PORT); 9464: /healthz /readyz /metrics of every service (OPS_PORT).
EXPOSE 8080 9464
# Kubernetes probes /healthz and /readyz on the ops port; a Docker HEALTHCHECK would only duplicate them.
HEALTHCHECK NONE
# Node runs as PID 1. The services handle SIGTERM/SIGINT themselves (graceful shutdown: stop intake, finish, commit,
# leave the group) and spawn no children, so no init process is needed in Kubernetes. For interactive `docker run`
# of CLI commands, add `--init` so Ctrl-C and zombie reaping behave as on a shell.
ENTRYPOINT ["node", "/app/bin/wmidetect.mjs"]
CMD ["--help"]
