#!/bin/bash
# The Docker HEALTHCHECK: GET /healthz on DISCORD_WORKER_HTTP_ADDRESS (host:port, [v6]:port or :port),
# healthy on HTTP 200. Without that variable the endpoint is off and the check passes (the container's
# health is then its process: the worker exits when it cannot work). Plain bash (/dev/tcp), no curl.
address="${DISCORD_WORKER_HTTP_ADDRESS:-}"
[ -z "$address" ] && exit 0
port="${address##*:}"
host="${address%:*}"
host="${host#[}"
host="${host%]}"
case "$host" in
  "" | 0.0.0.0) host=127.0.0.1 ;;
  "::") host=::1 ;;
esac
exec 3<>"/dev/tcp/$host/$port" || exit 1
printf 'GET /healthz HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$host" >&3
read -r -t 5 status_line <&3 || exit 1
case "$status_line" in
  "HTTP/"*" 200"*) exit 0 ;;
  *) echo "healthcheck: /healthz answered: $status_line" >&2; exit 1 ;;
esac
