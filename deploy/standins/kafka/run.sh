#!/bin/bash
# What apache/kafka's /etc/kafka/docker/run documents: every KAFKA_<NAME> variable becomes a line
# of server.properties (strip KAFKA_, lower case, '___' -> '-', '__' -> '_', '_' -> '.'), except
# the JVM/log4j ones; the storage is formatted once with CLUSTER_ID, then the broker starts.
set -euo pipefail
props=/opt/kafka/config/server.properties
: > "$props"
skip=" KAFKA_HEAP_OPTS KAFKA_OPTS KAFKA_LOG4J_OPTS KAFKA_JMX_OPTS KAFKA_JVM_PERFORMANCE_OPTS \
KAFKA_GC_LOG_OPTS KAFKA_LOG4J_ROOT_LOGLEVEL KAFKA_LOG4J_LOGGERS KAFKA_TOOLS_LOG4J_LOGLEVEL \
KAFKA_VERSION KAFKA_DEBUG "
while IFS='=' read -r name value; do
  case "$name" in KAFKA_*) ;; *) continue ;; esac
  case "$skip" in *" $name "*) continue ;; esac
  key=$(printf '%s' "${name#KAFKA_}" | tr '[:upper:]' '[:lower:]' \
    | sed -e 's/___/-/g' -e 's/__/\x01/g' -e 's/_/./g' -e 's/\x01/_/g')
  printf '%s=%s\n' "$key" "$value" >> "$props"
done < <(env)
: "${CLUSTER_ID:=5L6g3nShT-eMCtK--X86sw}"
kafka-storage.sh format --cluster-id "$CLUSTER_ID" --config "$props" --ignore-formatted
exec kafka-server-start.sh "$props"
