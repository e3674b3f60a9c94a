# syntax=docker/dockerfile:1
# The mcpenv reference MCP server image:
#   docker build -t ghcr.io/mcpenv/reference-server:0.1.0 .
#   docker run --rm -p 3000:3000 --read-only --tmpfs /tmp \
#     -e DATABASE_URL -e REDIS_URL -e PUBLIC_URL ghcr.io/mcpenv/reference-server:0.1.0
# test/integration/production-build.test.ts runs what the runtime stage runs and checks this
# file's USER, npm ci flags and ENTRYPOINT, so change them together.

# Pinned to a Node minor so a rebuild cannot silently change majors. In production pin the digest
# as well (node:20.20-bookworm-slim@sha256:...): a tag can be re-pushed, a digest cannot.
ARG NODE_IMAGE=node:20.20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Compiling needs only tsc, so no dev tool's install script needs to run.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts --no-audit --no-fund
# Every folder tsconfig.build.json compiles (the integration test checks the list).
COPY tsconfig.json tsconfig.build.json ./
COPY constructs ./constructs
COPY stacks ./stacks
COPY app ./app
COPY server ./server
COPY bin ./bin
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only, installed fresh rather than pruned from the build stage, and
# without install scripts: none of them needs one.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY --from=build /app/lib ./lib
COPY app/environments ./app/environments
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
ENTRYPOINT ["node", "lib/bin/mcpenv.js"]
CMD ["serve"]
