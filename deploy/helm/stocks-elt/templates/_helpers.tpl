{{/*
Names, labels, the checks across values, and what every pod shares: security contexts, probes,
scheduling. Environment variables are in _env.tpl.
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
