{{- define "execbox.name" -}}execbox{{- end -}}

{{- define "execbox.fullname" -}}
{{- if contains "execbox" .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-execbox" .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "execbox.labels" -}}
app.kubernetes.io/name: execbox
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "execbox.selector" -}}
app.kubernetes.io/name: execbox
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "execbox.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "execbox.sessionNamespace" -}}
{{ .Values.sessions.namespace | default .Release.Namespace }}
{{- end -}}

{{- define "execbox.databaseSecret" -}}
{{ .Values.database.existingSecret | default (printf "%s-database" (include "execbox.fullname" .)) }}
{{- end -}}

{{/* The environment both roles share. */}}
{{- define "execbox.env" -}}
- name: EXECBOX_MODE
  value: kubernetes
- name: EXECBOX_BACKEND
  value: kubernetes
- name: EXECBOX_NAMESPACE
  value: {{ include "execbox.sessionNamespace" . | quote }}
- name: EXECBOX_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "execbox.databaseSecret" . }}
      key: {{ .Values.database.key }}
- name: EXECBOX_KUBERNETES_PULL_POLICY
  value: {{ .Values.sessions.imagePullPolicy | quote }}
- name: EXECBOX_KUBERNETES_STDIO_GATE
  value: {{ .Values.sessions.stdioGate | quote }}
- name: EXECBOX_KUBERNETES_CPU_REQUEST_PERCENT
  value: {{ .Values.sessions.cpuRequestPercent | quote }}
{{- if .Values.sessions.runAsUser }}
- name: EXECBOX_KUBERNETES_RUN_AS_USER
  value: {{ .Values.sessions.runAsUser | quote }}
{{- end }}
- name: EXECBOX_KUBERNETES_ACCOUNT
  value: {{ .Values.sessions.defaultAccount | quote }}
- name: EXECBOX_DEFAULT_TIMEOUT_MS
  value: {{ .Values.sessions.defaultTimeoutMs | quote }}
- name: EXECBOX_STOP_GRACE
  value: {{ .Values.sessions.stopGrace | quote }}
- name: EXECBOX_LOG_FORMAT
  value: {{ .Values.logFormat | quote }}
{{- if not .Values.hostNetwork }}
- name: SERVER_ADDRESS
  value: "0.0.0.0"
- name: MANAGEMENT_SERVER_ADDRESS
  value: "0.0.0.0"
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Restricted Pod Security for both roles. */}}
{{- define "execbox.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "execbox.securityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end -}}
