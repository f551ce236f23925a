#!/bin/bash
# The one launcher of the stand-in's scripts: Kafka's classpath, log4j config, then the class.
# Tools start a small client JVM (the healthcheck runs one every few seconds on a shared CPU);
# the broker sets KAFKA_JVM_PERFORMANCE_OPTS to a server JVM in kafka-server-start.sh.
log4j=${KAFKA_LOG4J_OPTS:--Dlog4j.configuration=file:/opt/kafka/config/tools-log4j.properties}
perf=${KAFKA_JVM_PERFORMANCE_OPTS:--XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto}
# shellcheck disable=SC2086
exec java ${KAFKA_HEAP_OPTS:--Xmx128M} $perf ${KAFKA_OPTS:-} $log4j -cp '/opt/kafka/libs/*' "$@"
