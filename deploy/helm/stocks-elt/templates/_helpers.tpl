{{/*
Names, labels, the checks on values, and the pieces every pod shares: environment variables
(the names of shared/settings.py and the services' settings.py), security contexts, probes.
*/}}

{{- define "stocks-elt.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The services the chart runs; fetcher and loader are scaled, the others have `replicas`. */}}
{{- define "stocks-elt.services" -}}
lister transformer scheduler fetcher loader
{{- end -}}
{{- define "stocks-elt.scaled" -}}
fetcher loader
{{- end -}}

{{- define "stocks-elt.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "stocks-elt.labels" -}}
{{ include "stocks-elt.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "stocks-elt.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/*
Which scaler the fetcher and loader get: keda, hpa or none. `auto` asks the cluster (during
`helm template`, pass --api-versions keda.sh/v1alpha1 to get KEDA's). values.schema.json allows
no other mode.
*/}}
{{- define "stocks-elt.scaler" -}}
{{- $mode := .Values.autoscaling.mode -}}
{{- if eq $mode "auto" -}}
{{- if .Capabilities.APIVersions.Has "keda.sh/v1alpha1" }}keda{{ else }}hpa{{ end -}}
{{- else -}}
{{- $mode -}}
{{- end -}}
{{- end -}}

{{/* Replicas a service can reach: its maximum when scaled, its fixed count otherwise. */}}
{{- define "stocks-elt.maxReplicas" -}}
{{- $svc := index .root.Values .name -}}
{{- if has .name (splitList " " (include "stocks-elt.scaled" .root)) -}}
{{- if eq (include "stocks-elt.scaler" .root) "none" }}{{ $svc.scaling.minReplicas }}{{ else }}{{ $svc.scaling.maxReplicas }}{{ end -}}
{{- else -}}
{{- $svc.replicas -}}
{{- end -}}
{{- end -}}

{{/*
The rules across values (values.schema.json holds each value's type and bounds), checked on
every render:
- a consumer group's replicas never exceed the partitions of its topic (the extra ones would
  sit idle, and KEDA would not start them anyway);
- at their maximum, the replicas' pools (plus dbt's threads per transformer) fit in the
  connections Postgres allows the application.
*/}}
{{- define "stocks-elt.checks" -}}
{{- $partitions := int .Values.kafka.partitions -}}
{{- range $name := splitList " " (include "stocks-elt.scaled" .) -}}
{{- $s := (index $.Values $name).scaling -}}
{{- if gt (int $s.minReplicas) (int $s.maxReplicas) -}}
{{- fail (printf "%s.scaling: need minReplicas (%v) <= maxReplicas (%v)" $name $s.minReplicas $s.maxReplicas) -}}
{{- end -}}
{{- if gt (int $s.maxReplicas) $partitions -}}
{{- fail (printf "%s.scaling.maxReplicas (%v) exceeds kafka.partitions (%v): a consumer group cannot use more replicas than its topic has partitions" $name $s.maxReplicas $partitions) -}}
{{- end -}}
{{- end -}}
{{- $connections := 0 -}}
{{- range $name := splitList " " (include "stocks-elt.services" .) -}}
{{- $n := int (include "stocks-elt.maxReplicas" (dict "root" $ "name" $name)) -}}
{{- $per := int $.Values.postgres.poolMax -}}
{{- if eq $name "transformer" }}{{ $per = add $per $.Values.postgres.dbtThreads }}{{ end -}}
{{- $connections = add $connections (mul $n $per) -}}
{{- end -}}
{{- $budget := sub (int .Values.postgres.maxConnections) (int .Values.postgres.reservedConnections) -}}
{{- if gt (int $connections) (int $budget) -}}
{{- fail (printf "at their maximum the replicas may open %d Postgres connections, more than postgres.maxConnections - reservedConnections = %d: lower maxReplicas or poolMax, or raise max_connections" $connections $budget) -}}
{{- end -}}
{{- end -}}

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

{{/* The pod and container security contexts: the image's numeric non-root user, nothing to write
but the emptyDirs. */}}
{{- define "stocks-elt.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "stocks-elt.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: [ALL]
{{- end -}}

{{/* The observability port's endpoints (shared/observability): /health says the process answers,
/ready that its broker is connected. */}}
{{- define "stocks-elt.probes" -}}
startupProbe:
  httpGet: {path: /health, port: metrics}
  periodSeconds: 5
  timeoutSeconds: {{ .Values.probes.timeoutSeconds }}
  failureThreshold: {{ .Values.probes.startupFailureThreshold }}
livenessProbe:
  httpGet: {path: /health, port: metrics}
  periodSeconds: {{ .Values.probes.periodSeconds }}
  timeoutSeconds: {{ .Values.probes.timeoutSeconds }}
  failureThreshold: 3
readinessProbe:
  httpGet: {path: /ready, port: metrics}
  periodSeconds: {{ .Values.probes.periodSeconds }}
  timeoutSeconds: {{ .Values.probes.timeoutSeconds }}
  failureThreshold: 3
{{- end -}}

{{/* What every pod spec shares: scheduling, pull secrets, no API token (no service talks to the
Kubernetes API). */}}
{{- define "stocks-elt.podCommon" -}}
automountServiceAccountToken: false
securityContext:
  {{- include "stocks-elt.podSecurityContext" . | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
