{{/*
Each service's environment: the settings classes it composes (services/<name>/settings.py), with
the Postgres role compose gives it (elt_ingest, or elt_transform for the transformer and dbt).
*/}}

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
