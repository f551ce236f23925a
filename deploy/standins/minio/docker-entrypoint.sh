#!/bin/bash
# As the real image's entrypoint: arguments that are not a command are minio's (`server /data`).
set -e
if [ "${1}" != "minio" ] && [ "${1:0:1}" = '-' -o "${1}" = server -o "${1}" = gateway ]; then
  set -- minio "$@"
fi
exec "$@"
