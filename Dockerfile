# cavra server: the control plane (docs/deploy.md). Debian base; the build downloads nothing but
# npm packages from the registry (Debian packages for the compiler come from Debian's mirrors).
FROM node:20-slim AS build
WORKDIR /app
# better-sqlite3 is compiled here against the image's own Node headers (npm_config_nodedir),
# so neither prebuilt binaries nor headers are fetched from outside the npm registry. Electron's
# binary is never needed by the server.
ENV npm_config_build_from_source=true \
    npm_config_nodedir=/usr/local \
    ELECTRON_SKIP_BINARY_DOWNLOAD=1
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN node scripts/build.mjs && npm prune --omit=dev --no-audit --no-fund

FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production \
    CAVRA_HOME=/var/lib/cavra
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/policy-packs ./policy-packs
RUN mkdir -p /var/lib/cavra && chown node:node /var/lib/cavra && chmod 0700 /var/lib/cavra
USER node
EXPOSE 8443
# Liveness over loopback only: the probe skips certificate checks because it talks to itself.
HEALTHCHECK --interval=15s --timeout=3s CMD ["node", "-e", "require('https').get({host:'127.0.0.1',port:8443,path:'/healthz',rejectUnauthorized:false},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"]
# TLS and the database come from the environment (files mounted as secrets), never arguments:
# CAVRA_TLS_CERT_FILE, CAVRA_TLS_KEY_FILE, CAVRA_DATABASE_URL_FILE, CAVRA_DATABASE_OWNER_URL_FILE.
CMD ["node", "bin/cavra.cjs", "server", "--host", "0.0.0.0", "--port", "8443"]
