{{/*
Environment variables, named as shared/settings.py and the services' settings.py read them: one
piece per settings class, then each service's environment made of the classes it composes, with
the Postgres role compose gives it (elt_ingest, or elt_transform for the transformer and dbt).
*/}}

{{/* A value from one of the existing Secrets named in values. */}}
{{- define "stocks-elt.secretEnv" -}}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ (index .root.Values.secrets .secret).name }}
      key: {{ index (index .root.Values.secrets .secret).keys .key }}
{{- end -}}

{{/* KafkaSettings (KAFKA_). */}}
{{- define "stocks-elt.env.kafka" -}}
- name: KAFKA_BOOTSTRAP_SERVERS
  value: {{ .Values.kafka.bootstrapServers | quote }}
- name: KAFKA_PARTITIONS
  value: {{ .Values.kafka.partitions | quote }}
- name: KAFKA_REPLICATION_FACTOR
  value: {{ .Values.kafka.replicationFactor | quote }}
{{- end -}}

{{/* MinioBucketSettings (MINIO_): where the bucket is, without credentials. */}}
{{- define "stocks-elt.env.bucket" -}}
- name: MINIO_ENDPOINT
  value: {{ .Values.minio.endpoint | quote }}
- name: MINIO_SECURE
  value: {{ .Values.minio.secure | quote }}
- name: MINIO_BUCKET
  value: {{ .Values.minio.bucket | quote }}
- name: MINIO_RAW_PREFIX
  value: {{ .Values.minio.rawPrefix | quote }}
{{- with .Values.minio.region }}
- name: MINIO_REGION
  value: {{ . | quote }}
{{- end }}
{{- end -}}

{{/* A service's own MinIO user (MINIO_<SERVICE>_ACCESS_KEY/_SECRET_KEY). */}}
{{- define "stocks-elt.env.minioUser" -}}
{{ include "stocks-elt.secretEnv" (dict "root" .root "env" (printf "MINIO_%s_ACCESS_KEY" (upper .name)) "secret" "minio" "key" (printf "%sAccessKey" .name)) }}
{{ include "stocks-elt.secretEnv" (dict "root" .root "env" (printf "MINIO_%s_SECRET_KEY" (upper .name)) "secret" "minio" "key" (printf "%sSecretKey" .name)) }}
{{- end -}}

{{/* PostgresSettings (PG_) as `role`, whose password is under `passwordKey` in the Secret. */}}
{{- define "stocks-elt.env.postgres" -}}
- name: PG_HOST
  value: {{ .root.Values.postgres.host | quote }}
- name: PG_PORT
  value: {{ .root.Values.postgres.port | quote }}
- name: PG_DATABASE
  value: {{ .root.Values.postgres.database | quote }}
- name: PG_USER
  value: {{ .role }}
{{ include "stocks-elt.secretEnv" (dict "root" .root "env" "PG_PASSWORD" "secret" "postgres" "key" .passwordKey) }}
- name: PG_POOL_MIN
  value: {{ .root.Values.postgres.poolMin | quote }}
- name: PG_POOL_MAX
  value: {{ .root.Values.postgres.poolMax | quote }}
{{- end -}}

{{/* PolygonSettings (POLYGON_). */}}
{{- define "stocks-elt.env.polygon" -}}
{{ include "stocks-elt.secretEnv" (dict "root" . "env" "POLYGON_API_KEY" "secret" "polygon" "key" "apiKey") }}
- name: POLYGON_BASE_URL
  value: {{ .Values.polygon.baseUrl | quote }}
- name: POLYGON_RATE_LIMIT_PER_S
  value: {{ .Values.polygon.rateLimitPerS | quote }}
{{- end -}}

{{/* MetricsSettings (METRICS_): /health, /ready and /metrics on the pod's own address. */}}
{{- define "stocks-elt.env.metrics" -}}
- name: METRICS_HOST
  value: 0.0.0.0
- name: METRICS_PORT
  value: {{ .Values.metricsPort | quote }}
{{- end -}}


{{- define "stocks-elt.env.lister" -}}
{{ include "stocks-elt.env.kafka" . }}
{{ include "stocks-elt.env.bucket" . }}
{{ include "stocks-elt.env.minioUser" (dict "root" . "name" "lister") }}
{{ include "stocks-elt.env.postgres" (dict "root" . "role" "elt_ingest" "passwordKey" "ingestPassword") }}
{{ include "stocks-elt.env.polygon" . }}
- name: LISTER_HISTORY_START
  value: {{ .Values.lister.historyStart | quote }}
- name: LISTER_DAYS_PER_BATCH
  value: {{ .Values.lister.daysPerBatch | quote }}
{{ include "stocks-elt.env.metrics" . }}
{{- end -}}

{{- define "stocks-elt.env.fetcher" -}}
{{ include "stocks-elt.env.kafka" . }}
{{ include "stocks-elt.env.bucket" . }}
{{ include "stocks-elt.env.minioUser" (dict "root" . "name" "fetcher") }}
{{ include "stocks-elt.env.postgres" (dict "root" . "role" "elt_ingest" "passwordKey" "ingestPassword") }}
{{ include "stocks-elt.env.polygon" . }}
- name: FETCHER_CONCURRENCY
  value: {{ .Values.fetcher.concurrency | quote }}
{{ include "stocks-elt.env.metrics" . }}
{{- end -}}

{{- define "stocks-elt.env.loader" -}}
{{ include "stocks-elt.env.kafka" . }}
{{ include "stocks-elt.env.bucket" . }}
{{ include "stocks-elt.env.minioUser" (dict "root" . "name" "loader") }}
{{ include "stocks-elt.env.postgres" (dict "root" . "role" "elt_ingest" "passwordKey" "ingestPassword") }}
{{ include "stocks-elt.env.metrics" . }}
{{- end -}}

{{- define "stocks-elt.env.transformer" -}}
{{ include "stocks-elt.env.kafka" . }}
{{ include "stocks-elt.env.bucket" . }}
{{ include "stocks-elt.env.minioUser" (dict "root" . "name" "transformer") }}
{{ include "stocks-elt.env.postgres" (dict "root" . "role" "elt_transform" "passwordKey" "transformPassword") }}
- name: TRANSFORMER_DBT_TIMEOUT_S
  value: {{ .Values.transformer.dbtTimeoutS | quote }}
{{ include "stocks-elt.env.metrics" . }}
{{- end -}}

{{- define "stocks-elt.env.scheduler" -}}
{{ include "stocks-elt.env.kafka" . }}
{{ include "stocks-elt.env.postgres" (dict "root" . "role" "elt_ingest" "passwordKey" "ingestPassword") }}
- name: SCHEDULE_CRON
  value: {{ .Values.scheduler.cron | quote }}
- name: SCHEDULE_TZ
  value: {{ .Values.scheduler.tz | quote }}
- name: SCHEDULE_RUN_ID_FORMAT
  value: {{ .Values.scheduler.runIdFormat | quote }}
- name: SCHEDULE_CATCHUP
  value: {{ .Values.scheduler.catchup | quote }}
{{ include "stocks-elt.env.metrics" . }}
{{- end -}}

{{/* `stocks-elt bootstrap`: the MinIO root user, the Postgres admin and every password it gives
the roles and service users (what compose's init service gets). */}}
{{- define "stocks-elt.env.bootstrap" -}}
{{ include "stocks-elt.env.kafka" . }}
{{ include "stocks-elt.env.bucket" . }}
{{ include "stocks-elt.secretEnv" (dict "root" . "env" "MINIO_ACCESS_KEY" "secret" "minio" "key" "rootAccessKey") }}
{{ include "stocks-elt.secretEnv" (dict "root" . "env" "MINIO_SECRET_KEY" "secret" "minio" "key" "rootSecretKey") }}
- name: MINIO_NOTIFY_TARGET_ID
  value: {{ .Values.minio.kafkaTarget.id | quote }}
{{- range $name := list "lister" "fetcher" "loader" "transformer" }}
{{ include "stocks-elt.env.minioUser" (dict "root" $ "name" $name) }}
{{- end }}
{{ include "stocks-elt.env.postgres" (dict "root" . "role" "elt_ingest" "passwordKey" "ingestPassword") }}
- name: PG_ADMIN_USER
  value: {{ .Values.postgres.adminUser | quote }}
{{ include "stocks-elt.secretEnv" (dict "root" . "env" "PG_ADMIN_PASSWORD" "secret" "postgres" "key" "adminPassword") }}
{{ include "stocks-elt.secretEnv" (dict "root" . "env" "PG_ADMIN_INGEST_PASSWORD" "secret" "postgres" "key" "ingestPassword") }}
{{ include "stocks-elt.secretEnv" (dict "root" . "env" "PG_ADMIN_TRANSFORM_PASSWORD" "secret" "postgres" "key" "transformPassword") }}
{{ include "stocks-elt.secretEnv" (dict "root" . "env" "PG_ADMIN_READER_PASSWORD" "secret" "postgres" "key" "readerPassword") }}
{{- end -}}
