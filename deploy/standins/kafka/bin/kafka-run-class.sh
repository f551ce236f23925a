#!/bin/bash
# The one launcher of the stand-in's scripts: Kafka's classpath, log4j config, then the class.
log4j=${KAFKA_LOG4J_OPTS:--Dlog4j.configuration=file:/opt/kafka/config/tools-log4j.properties}
# shellcheck disable=SC2086
exec java ${KAFKA_HEAP_OPTS:-} ${KAFKA_OPTS:-} $log4j -cp '/opt/kafka/libs/*' "$@"
