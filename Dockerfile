# syntax=docker/dockerfile:1
# One image for every app: gateway, engine, quoter and the all-in-one platform. Pick the app with
# the command: node dist/apps/{gateway,engine,quoter,platform}/src/main.js (see docs/operations.md).
ARG NODE_IMAGE=node:20.19-bookworm-slim

# All dependencies (the Prisma CLI and SWC are dev dependencies); postinstall generates the client.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund

# Compiled apps. Also the target of the one-shot migrate service (it needs the Prisma CLI).
FROM deps AS build
COPY tsconfig.json .swcrc ./
COPY apps ./apps
COPY libs ./libs
COPY scripts ./scripts
RUN npm run build

# Production dependencies only; the generated Prisma client (node_modules/.prisma) stays.
FROM build AS prod-deps
RUN npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    TZ=UTC \
    HOST=0.0.0.0 \
    PORT=3000 \
    MIGRATIONS_DIR=/app/prisma/migrations
WORKDIR /app
COPY --from=prod-deps --chown=node:node /app/package.json ./
COPY --from=prod-deps --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
# The migrations are read at start-up: an app refuses to run against a database that is behind.
COPY --from=build --chown=node:node /app/prisma ./prisma
USER node
# 3000: HTTP + WebSocket (gateway, platform); 9464: /metrics and /health of engine and quoter (METRICS_PORT).
EXPOSE 3000 9464
STOPSIGNAL SIGTERM
CMD ["node", "dist/apps/gateway/src/main.js"]
