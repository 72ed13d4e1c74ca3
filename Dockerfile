# syntax=docker/dockerfile:1
# ollama-grpc-gateway container image.
#
#   docker build -t ollama-grpc-gateway .
#   docker run --rm -p 50051:50051 -p 11434:11434 -p 50052:50052 \
#     -e OLLAMA_GRPC_BACKENDS=gpu-a=http://10.0.0.7:11434 ollama-grpc-gateway
#
# The default configuration (deploy/docker/config.yaml) listens on 0.0.0.0 for gRPC (50051), the HTTP
# front doors (11434) and the admin endpoint (50052, /metrics and /status); mount your own file over
# /etc/ollama-grpc/config.yaml, or override single settings with OLLAMA_GRPC_* variables.
# test/deploy/container-entrypoint.test.ts reproduces the runtime stage from this file and runs it.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: compile TypeScript to dist/ (needs the dev dependencies: typescript) ----
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY gen ./gen
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies, the compiled code, the reflection descriptor set ----
FROM ${NODE_IMAGE} AS runtime
# tini as PID 1: node as PID 1 gets no default signal actions (a SIGTERM that arrives before `serve` has
# installed its handlers would be ignored, and Kubernetes would SIGKILL the pod after the grace period)
# and does not reap orphaned processes. tini forwards SIGTERM/SIGINT to node, so the gateway's graceful
# drain runs, reaps zombies, and exits with node's exit code. (`docker run --init` does the same, but
# only when the operator remembers it; Kubernetes has no equivalent.)
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force
COPY bin ./bin
COPY --from=build /src/dist ./dist
# Server reflection reads the descriptor set at start-up (src/app.ts); the rest of gen/ is compiled into dist/.
COPY gen/descriptor.binpb ./gen/descriptor.binpb
COPY deploy/docker/healthcheck.mjs ./healthcheck.mjs
COPY deploy/docker/config.yaml /etc/ollama-grpc/config.yaml
# Files stay root-owned and read-only to the gateway: it writes nothing (readOnlyRootFilesystem works).
# Numeric, so Kubernetes' runAsNonRoot can verify it: the base image's `node` user.
USER 1000:1000
# gRPC, HTTP front doors (Ollama/OpenAI-compatible), admin (/metrics, /status).
EXPOSE 50051 11434 50052
# grpc.health.v1 Check of "" (the process serves), never of the backends: an Ollama outage must not make
# orchestrators restart the gateway. Readiness-style checks: `node /app/healthcheck.mjs ollama.v1.OllamaService`.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["node", "/app/healthcheck.mjs"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "bin/ollama-grpc.js"]
CMD ["serve", "--config", "/etc/ollama-grpc/config.yaml"]
