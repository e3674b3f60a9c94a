# syntax=docker/dockerfile:1
# The mcpenv reference MCP server image, built from the server package (@mcpenv/server) and the
# contract it imports, nothing else of the repository: no cdktf, cdk8s or provider package.
#   docker build -t ghcr.io/mcpenv/reference-server:0.1.0 .
#   docker run --rm -p 3000:3000 --read-only --tmpfs /tmp \
#     -e DATABASE_URL -e REDIS_URL -e PUBLIC_URL ghcr.io/mcpenv/reference-server:0.1.0
# test/integration/production-build.test.ts runs what the runtime stage runs and checks this
# file's base image, USER, npm ci flags and ENTRYPOINT, so change them together.

# Node 24 LTS, pinned to the exact release CI tests with (.ci/run), so a rebuild cannot silently
# change it. In production pin the digest as well (node:24.22.3-bookworm-slim@sha256:...): a tag
# can be re-pushed, a digest cannot. The workload's preStop hook runs this base's `sleep`
# (constructs/k8s/workload.ts): a base without one (distroless) needs another hook there.
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
# The workspace manifests and the lockfile only: the install layer is cached until they change.
COPY package.json package-lock.json tsconfig.json ./
COPY constructs/contract/package.json ./constructs/contract/
COPY server/package.json ./server/
# Only the two packages' dependencies (TypeScript among their devDependencies); compiling runs
# no install script.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts --no-audit --no-fund --workspace @mcpenv/contract --workspace @mcpenv/server
COPY constructs/contract ./constructs/contract
COPY server ./server
RUN npm run build --workspace @mcpenv/contract --workspace @mcpenv/server

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# V8 sizes its young generation from the host's memory, not the container's limit: up to 32 MB
# per semi-space on a large node, which the pod's memory request never accounts for. 8 MB keeps
# the server inside it at no cost in throughput (`npm run bench:server` runs every server this way).
ENV NODE_OPTIONS=--max-semi-space-size=8
WORKDIR /app
COPY package.json package-lock.json ./
COPY constructs/contract/package.json ./constructs/contract/
COPY server/package.json ./server/
# The server's production dependencies only, from the lockfile, installed fresh rather than pruned
# from the build stage, and without install scripts: none of them needs one.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspace @mcpenv/server
COPY --from=build /src/constructs/contract/lib ./constructs/contract/lib
COPY --from=build /src/server/lib ./server/lib
# Everything above stays owned by root, so the server cannot modify its own code. It writes
# nothing but its logs to stdout, so a read-only root filesystem (with /tmp as a tmpfs) works.
# The ids match runAsUser/runAsGroup in constructs/k8s/workload.ts; numeric, because Kubernetes
# can check runAsNonRoot against a numeric USER only.
USER 10001:10001
# The server defaults to 127.0.0.1, which nothing outside the container can reach. The Kubernetes
# workload sets both variables itself; these serve `docker run -p 3000:3000` with the server
# mode's settings (an embedded-mode start refuses a non-loopback address, naming BIND_ADDRESS).
ENV BIND_ADDRESS=0.0.0.0 PORT=3000
EXPOSE 3000
# No HEALTHCHECK: Kubernetes probes /healthz and /readyz and ignores Docker's health status.
# The server package's own bin (`mcpenv-server`).
ENTRYPOINT ["node", "server/lib/bin.js"]
CMD ["serve"]
