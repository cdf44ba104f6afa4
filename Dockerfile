# syntax=docker/dockerfile:1
# The API server. Build: docker build -t llm-chat-backend .   Run: see README.md, "Deploying".
# test/image-recipe.e2e-spec.ts performs the runtime stage's steps on this machine's build output (no Docker
# daemon needed) and checks that the result starts, migrates PostgreSQL and streams a reply.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json nest-cli.json ./
COPY apps apps
COPY libs libs
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# The embedded database and generated secrets, used only without DATABASE_URL (a demo): somewhere the user may write.
ENV DATA_DIR=/home/node/data
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only (argon2's native module included); the npm cache stays out of the image.
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist/apps/api ./dist/apps/api
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT || 3000}/api/health`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# What the server drains on: replies finish within SHUTDOWN_GRACE_MS (give `docker stop` a longer -t).
STOPSIGNAL SIGTERM
# `npm run start:prod`'s command; why --no-memory-reducer: README, "The image".
CMD ["node", "--no-memory-reducer", "dist/apps/api/apps/api/src/main.js"]
