{{/*
Names and labels. Resource names are "<fullname>-<component>"; every resource carries the standard
app.kubernetes.io/* labels, and pods are selected by name + instance + component (never by version, which
would make selectors change on upgrade — selectors are immutable).
*/}}

{{- define "wmi-detect.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name, truncated so that "<fullname>-<component>-<suffix>" stays within Kubernetes' 63 characters. */}}
{{- define "wmi-detect.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "wmi-detect.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "wmi-detect.selectorLabels" -}}
app.kubernetes.io/name: {{ include "wmi-detect.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "wmi-detect.labels" -}}
helm.sh/chart: {{ include "wmi-detect.chart" . }}
{{ include "wmi-detect.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: wmi-detect
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Usage: include "wmi-detect.componentSelectorLabels" (dict "root" $ "component" "detect") */}}
{{- define "wmi-detect.componentSelectorLabels" -}}
{{ include "wmi-detect.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "wmi-detect.componentLabels" -}}
{{ include "wmi-detect.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "wmi-detect.componentName" -}}
{{- printf "%s-%s" (include "wmi-detect.fullname" .root) .component -}}
{{- end -}}

{{- define "wmi-detect.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "wmi-detect.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "wmi-detect.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* ------------------------------------------------------------------------------------------------------------
Kafka credentials. Each item (CA, client certificate, client key, SASL password) comes either from an existing
Secret the user names, or from the chart-managed "<fullname>-kafka" Secret built from inline values. The pods see
them at fixed paths under /etc/wmi-detect/kafka through one projected volume, whatever their source.
------------------------------------------------------------------------------------------------------------ */}}

{{- define "wmi-detect.kafkaSecretName" -}}
{{- printf "%s-kafka" (include "wmi-detect.fullname" .) -}}
{{- end -}}

{{- define "wmi-detect.kafka.hasCA" -}}
{{- if and .Values.kafka.tls.enabled (or .Values.kafka.tls.caSecret.name .Values.kafka.tls.ca) }}true{{ end -}}
{{- end -}}

{{- define "wmi-detect.kafka.hasClientCert" -}}
{{- if and .Values.kafka.tls.enabled .Values.kafka.tls.clientCert.enabled }}true{{ end -}}
{{- end -}}

{{- define "wmi-detect.kafka.hasSasl" -}}
{{- if .Values.kafka.sasl.mechanism }}true{{ end -}}
{{- end -}}

{{/* Whether the chart must create <fullname>-kafka (some item is given inline). */}}
{{- define "wmi-detect.kafka.managedSecret" -}}
{{- $t := .Values.kafka.tls -}}
{{- if or (and (include "wmi-detect.kafka.hasCA" .) (not $t.caSecret.name)) (and (include "wmi-detect.kafka.hasClientCert" .) (not $t.clientCert.existingSecret)) (and (include "wmi-detect.kafka.hasSasl" .) (not .Values.kafka.sasl.existingSecret)) }}true{{ end -}}
{{- end -}}

{{/* Data of the chart-managed Kafka Secret (shared by the Secret and the topic Job's hook copy of it). */}}
{{- define "wmi-detect.kafka.secretData" -}}
{{- $t := .Values.kafka.tls -}}
{{- if and (include "wmi-detect.kafka.hasCA" .) (not $t.caSecret.name) }}
ca.crt: {{ $t.ca | b64enc | quote }}
{{- end }}
{{- if and (include "wmi-detect.kafka.hasClientCert" .) (not $t.clientCert.existingSecret) }}
tls.crt: {{ $t.clientCert.cert | b64enc | quote }}
tls.key: {{ $t.clientCert.key | b64enc | quote }}
{{- end }}
{{- if and (include "wmi-detect.kafka.hasSasl" .) (not .Values.kafka.sasl.existingSecret) }}
sasl-password: {{ .Values.kafka.sasl.password | b64enc | quote }}
{{- end }}
{{- end -}}

{{- define "wmi-detect.kafka.hasFiles" -}}
{{- if or (include "wmi-detect.kafka.hasCA" .) (include "wmi-detect.kafka.hasClientCert" .) (include "wmi-detect.kafka.hasSasl" .) }}true{{ end -}}
{{- end -}}

{{/* Usage: include "wmi-detect.kafka.volume" (dict "root" $ "managedSecretName" "<name>") */}}
{{- define "wmi-detect.kafka.volume" -}}
{{- $root := .root -}}
{{- $v := $root.Values.kafka -}}
{{- if include "wmi-detect.kafka.hasFiles" $root }}
- name: kafka
  projected:
    defaultMode: 0440
    sources:
      {{- if include "wmi-detect.kafka.hasCA" $root }}
      - secret:
          name: {{ $v.tls.caSecret.name | default .managedSecretName }}
          items:
            - key: {{ if $v.tls.caSecret.name }}{{ $v.tls.caSecret.key }}{{ else }}ca.crt{{ end }}
              path: ca.crt
      {{- end }}
      {{- if include "wmi-detect.kafka.hasClientCert" $root }}
      - secret:
          name: {{ $v.tls.clientCert.existingSecret | default .managedSecretName }}
          items:
            - key: {{ if $v.tls.clientCert.existingSecret }}{{ $v.tls.clientCert.certKey }}{{ else }}tls.crt{{ end }}
              path: tls.crt
            - key: {{ if $v.tls.clientCert.existingSecret }}{{ $v.tls.clientCert.keyKey }}{{ else }}tls.key{{ end }}
              path: tls.key
      {{- end }}
      {{- if include "wmi-detect.kafka.hasSasl" $root }}
      - secret:
          name: {{ $v.sasl.existingSecret | default .managedSecretName }}
          items:
            - key: {{ if $v.sasl.existingSecret }}{{ $v.sasl.passwordKey }}{{ else }}sasl-password{{ end }}
              path: sasl-password
      {{- end }}
{{- end }}
{{- end -}}

{{- define "wmi-detect.kafka.volumeMount" -}}
{{- if include "wmi-detect.kafka.hasFiles" . }}
- name: kafka
  mountPath: /etc/wmi-detect/kafka
  readOnly: true
{{- end }}
{{- end -}}

{{/* ------------------------------------------------------------------------------------------------------------
Environment shared by every container (docs/configuration.md is the contract).
Usage: include "wmi-detect.commonEnv" (dict "root" $ "component" "detect" "values" .Values.detect)
------------------------------------------------------------------------------------------------------------ */}}
{{- define "wmi-detect.commonEnv" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $name := include "wmi-detect.componentName" . -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: KAFKA_BROKERS
  value: {{ $v.kafka.brokers | quote }}
- name: KAFKA_CLIENT_ID
  value: {{ (ternary (printf "%s-%s" $v.kafka.clientId .component) $name (ne $v.kafka.clientId "")) | quote }}
- name: KAFKA_SSL
  value: {{ $v.kafka.tls.enabled | quote }}
{{- if include "wmi-detect.kafka.hasCA" $root }}
- name: KAFKA_SSL_CA_FILE
  value: /etc/wmi-detect/kafka/ca.crt
{{- end }}
{{- if include "wmi-detect.kafka.hasClientCert" $root }}
- name: KAFKA_SSL_CERT_FILE
  value: /etc/wmi-detect/kafka/tls.crt
- name: KAFKA_SSL_KEY_FILE
  value: /etc/wmi-detect/kafka/tls.key
{{- end }}
{{- if include "wmi-detect.kafka.hasSasl" $root }}
- name: KAFKA_SASL_MECHANISM
  value: {{ $v.kafka.sasl.mechanism | quote }}
- name: KAFKA_SASL_USERNAME
  value: {{ $v.kafka.sasl.username | quote }}
- name: KAFKA_SASL_PASSWORD_FILE
  value: /etc/wmi-detect/kafka/sasl-password
{{- end }}
- name: OPS_PORT
  value: {{ $v.opsPort | quote }}
- name: LOG_LEVEL
  value: {{ (.values.logLevel | default $v.logLevel) | quote }}
{{- with .values.nodeOptions }}
- name: NODE_OPTIONS
  value: {{ . | quote }}
{{- end }}
- name: TOPIC_PACKETS
  value: {{ $v.topics.packets.name | quote }}
- name: TOPIC_DETECTIONS
  value: {{ $v.topics.detections.name | quote }}
- name: TOPIC_DLQ
  value: {{ $v.topics.dlq.name | quote }}
- name: TOPIC_ALERTS
  value: {{ $v.topics.alerts.name | quote }}
- name: TOPIC_SUPPRESSED
  value: {{ $v.topics.suppressed.name | quote }}
- name: TOPIC_REF_ASSETS
  value: {{ $v.topics.refAssets.name | quote }}
- name: TOPIC_REF_WHITELIST
  value: {{ $v.topics.refWhitelist.name | quote }}
- name: TOPIC_DETECT_STATE
  value: {{ $v.topics.detectState.name | quote }}
- name: OTEL_SERVICE_NAME
  value: {{ printf "wmi-detect-%s" .component | quote }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ printf "k8s.pod.name=$(POD_NAME),k8s.namespace.name=$(POD_NAMESPACE),service.instance.id=$(POD_NAME)%s" (ternary (printf ",%s" $v.otel.resourceAttributes) "" (ne $v.otel.resourceAttributes "")) | quote }}
- name: OTEL_SDK_DISABLED
  value: {{ (not $v.otel.enabled) | quote }}
{{- if $v.otel.enabled }}
{{- with $v.otel.endpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: {{ $v.otel.protocol | quote }}
- name: OTEL_TRACES_SAMPLER
  value: {{ $v.otel.tracesSampler | quote }}
{{- with $v.otel.tracesSamplerArg }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* ------------------------------------------------------------------------------------------------------------
Pod/container hardening, fixed on purpose: only the ids come from values.
------------------------------------------------------------------------------------------------------------ */}}
{{- define "wmi-detect.podSecurityContext" -}}
runAsNonRoot: true
{{- with .Values.securityContext.runAsUser }}
runAsUser: {{ . }}
{{- end }}
{{- with .Values.securityContext.runAsGroup }}
runAsGroup: {{ . }}
{{- end }}
{{- with .Values.securityContext.fsGroup }}
fsGroup: {{ . }}
{{- end }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "wmi-detect.containerSecurityContext" -}}
runAsNonRoot: true
{{- with .Values.securityContext.runAsUser }}
runAsUser: {{ . }}
{{- end }}
{{- with .Values.securityContext.runAsGroup }}
runAsGroup: {{ . }}
{{- end }}
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Probes on the ops port. Usage: include "wmi-detect.probes" .Values.detect.probes */}}
{{- define "wmi-detect.probes" -}}
startupProbe:
  httpGet:
    path: /healthz
    port: ops
  periodSeconds: {{ .startup.periodSeconds }}
  timeoutSeconds: {{ .startup.timeoutSeconds }}
  failureThreshold: {{ .startup.failureThreshold }}
livenessProbe:
  httpGet:
    path: /healthz
    port: ops
  initialDelaySeconds: {{ .liveness.initialDelaySeconds }}
  periodSeconds: {{ .liveness.periodSeconds }}
  timeoutSeconds: {{ .liveness.timeoutSeconds }}
  failureThreshold: {{ .liveness.failureThreshold }}
readinessProbe:
  httpGet:
    path: /readyz
    port: ops
  initialDelaySeconds: {{ .readiness.initialDelaySeconds }}
  periodSeconds: {{ .readiness.periodSeconds }}
  timeoutSeconds: {{ .readiness.timeoutSeconds }}
  failureThreshold: {{ .readiness.failureThreshold }}
{{- end -}}

{{/* The writable scratch space of a read-only container. */}}
{{- define "wmi-detect.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end -}}

{{- define "wmi-detect.tmpVolumeMount" -}}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/* Scheduling fields of a pod spec. Usage: include "wmi-detect.scheduling" (dict "root" $ "component" "detect" "values" .Values.detect) */}}
{{- define "wmi-detect.scheduling" -}}
{{- with .values.priorityClassName }}
priorityClassName: {{ . | quote }}
{{- end }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if .values.topologySpreadConstraints }}
{{- $constraints := list }}
{{- range .values.topologySpreadConstraints }}
{{- $c := deepCopy . }}
{{- if not (hasKey $c "labelSelector") }}
{{- $_ := set $c "labelSelector" (dict "matchLabels" (include "wmi-detect.componentSelectorLabels" $ | fromYaml)) }}
{{- end }}
{{- $constraints = append $constraints $c }}
{{- end }}
topologySpreadConstraints:
  {{- toYaml $constraints | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "wmi-detect.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Names of the rule files detect loads, in order (RULES_FILES). */}}
{{- define "wmi-detect.ruleFileNames" -}}
{{- if .Values.rules.existingConfigMap -}}
{{- join "," .Values.rules.existingConfigMapFiles -}}
{{- else -}}
{{- $names := dict -}}
{{- if .Values.rules.includeBundled -}}
{{- range $path, $_ := .Files.Glob "files/rules/*.rules" -}}
{{- $_ := set $names (base $path) true -}}
{{- end -}}
{{- end -}}
{{- range $name, $_ := .Values.rules.files -}}
{{- $_ := set $names $name true -}}
{{- end -}}
{{- join "," (keys $names | sortAlpha) -}}
{{- end -}}
{{- end -}}

{{/* Consumer group ids. */}}
{{- define "wmi-detect.detectGroupId" -}}
{{- .Values.detect.groupId | default (printf "%s-detect" (include "wmi-detect.fullname" .)) -}}
{{- end -}}

{{- define "wmi-detect.enrichGroupId" -}}
{{- .Values.enrich.groupId | default (printf "%s-enrich" (include "wmi-detect.fullname" .)) -}}
{{- end -}}

{{/* The tokens file: "sensor-id:token" per line, sorted by sensor id so the Secret (and its checksum) is stable. */}}
{{- define "wmi-detect.ingest.tokensFile" -}}
{{- $lines := list -}}
{{- range $id := keys .Values.ingest.sensorTokens | sortAlpha -}}
{{- $lines = append $lines (printf "%s:%s" $id (index $.Values.ingest.sensorTokens $id)) -}}
{{- end -}}
{{- if $lines }}{{ join "\n" $lines }}{{ "\n" }}{{ end -}}
{{- end -}}

{{/* variables.conf (RULE_VARS_FILE): Snort 2.9 ipvar/portvar lines, sorted for a stable checksum. */}}
{{- define "wmi-detect.rules.variablesFile" -}}
# Rule variables for wmi-detect (Snort 2.9 syntax), rendered from rules.ipvars / rules.portvars.
{{- range $name := keys .Values.rules.ipvars | sortAlpha }}
ipvar {{ $name }} {{ index $.Values.rules.ipvars $name }}
{{- end }}
{{- range $name := keys .Values.rules.portvars | sortAlpha }}
portvar {{ $name }} {{ index $.Values.rules.portvars $name }}
{{- end }}
{{ end -}}

{{/* Headless Service exposing the ops port of one component: scraped by the ServiceMonitor; for detect it is also
the StatefulSet's governing Service. Usage: include "wmi-detect.opsService" (dict "root" $ "component" "detect") */}}
{{- define "wmi-detect.opsService" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "wmi-detect.componentName" . }}-ops
  labels:
    {{- include "wmi-detect.componentLabels" . | nindent 4 }}
    wmi-detect/ops: "true"
spec:
  clusterIP: None
  # Metrics of a pod that is not ready (restoring state, Kafka down) are exactly the ones worth scraping.
  publishNotReadyAddresses: true
  selector:
    {{- include "wmi-detect.componentSelectorLabels" . | nindent 4 }}
  ports:
    - name: ops
      port: {{ .root.Values.opsPort }}
      targetPort: ops
      protocol: TCP
{{- end -}}
