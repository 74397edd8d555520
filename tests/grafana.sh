#!/bin/bash
#
# tests/grafana.sh - the Grafana dashboard and the Prometheus files in
# contrib/ against a running replymilter: every metric they name is one the
# daemon serves, and Prometheus' own tool accepts them.
#
# The dashboard (contrib/grafana/replymilter.json), read with jq: valid
# JSON, schemaVersion 36 or later, 8 to 12 panels, each with a title and a
# query, every data source the ${datasource} variable (so it imports on any
# Grafana), the instance and rule variables, and no $variable that the
# dashboard does not define.  Then every metric name in the panels'
# queries, the variables' label_values() and the alert rules
# (contrib/prometheus/replymilter-alerts.yml) is compared with the "# TYPE"
# lines of a replymilter started with metrics_listen on a free loopback
# port (a histogram x covers x_bucket, x_sum and x_count; up is
# Prometheus' own): it must be served, rate() and increase() must read a
# counter, and every label a query filters or groups on must be on the
# family's samples, where it has any.  With promtool (Debian package
# prometheus): the endpoint's text passes `promtool check metrics`, the
# alert rules `promtool check rules`, a prometheus.yml made of the scrape
# snippet (contrib/prometheus/replymilter.yml) and the rules `promtool check
# config`, each dashboard query (its variables filled in) parses as
# PromQL, and `promtool test rules` fires each alert on made-up series and
# keeps it quiet on others.
#
# Debian packages: jq, python3, prometheus (promtool; without it those
#   checks are left out, saying so, except with LIVE_TESTS=yes as in CI,
#   where a missing promtool fails), libmicrohttpd (built in).
# Needs: root, like tests/metrics.sh; exits 77 (skip) when not root, or
#   when replymilter is built without the endpoint.
set -u
set -o pipefail

here=$(cd -- "$(dirname -- "$0")" && pwd)
. "$here/lib/live.sh"
root_or_skip "the live tests run as root"
. "$here/e2e/lib/common.sh"
. "$here/e2e/lib/replymilter.sh"

e2e_require jq jq
e2e_require python3 python3
e2e_init replymilter-grafana

top=${abs_top_srcdir:-$(cd -- "$here/.." && pwd)}
dash=$top/contrib/grafana/replymilter.json
scrape=$top/contrib/prometheus/replymilter.yml
alerts=$top/contrib/prometheus/replymilter-alerts.yml
for f in "$dash" "$scrape" "$alerts"; do
	[ -f "$f" ] || e2e_bail "no $f"
done

# --- The dashboard, as Grafana reads it ----------------------------------

# jqd FILTER - FILTER's output on the dashboard, raw
jqd() {
	jq -r "$1" "$dash"
}

e2e_check "the dashboard is JSON" jq empty "$dash"
e2e_check "schemaVersion 36 or later ($(jqd .schemaVersion))" \
	test "$(jqd '.schemaVersion >= 36')" = true
n=$(jqd '.panels | length')
e2e_check "8 to 12 panels ($n)" test "$n" -ge 8 -a "$n" -le 12
e2e_check "the panels' ids are unique" \
	test "$(jqd '[.panels[].id] | (length == (unique | length))')" = true
bad=$(jqd '.panels[] | select((.title // "") == "") | .id')
e2e_result "$([ -z "$bad" ] && echo 0 || echo 1)" "every panel has a title" \
	"untitled panels (ids): $bad"
bad=$(jqd '.panels[] | select([.targets[]? | select((.expr // "") != "")]
	| length == 0) | .title')
e2e_result "$([ -z "$bad" ] && echo 0 || echo 1)" \
	"every panel has at least one query" "no query: $bad"
bad=$(jqd '.panels[] | select([.targets[].refId] | length != (unique | length))
	| .title')
e2e_result "$([ -z "$bad" ] && echo 0 || echo 1)" \
	"the queries of a panel have distinct refIds" "repeated: $bad"
# Only the ${datasource} variable: a uid from one Grafana is unknown in
# the next.
bad=$(jq -r '[.panels, .templating.list[]] | .. | objects | .datasource?
	| objects | select(.uid != "${datasource}") | tostring' "$dash" | sort -u)
e2e_result "$([ -z "$bad" ] && echo 0 || echo 1)" \
	"every data source is the \${datasource} variable" "others: $bad"
e2e_check "a datasource variable of type prometheus" \
	test "$(jqd '.templating.list[] | select(.name == "datasource")
		| "\(.type) \(.query)"')" = "datasource prometheus"
e2e_check "the instance variable: label_values(replymilter_build_info, instance)" \
	test "$(jqd '.templating.list[] | select(.name == "instance") | .query')" = \
	"label_values(replymilter_build_info, instance)"
e2e_check "the rule variable: label_values(replymilter_replies_total..., rule)" \
	grep -qE '^label_values\(replymilter_replies_total(\{[^}]*\})?, rule\)$' \
	<<<"$(jqd '.templating.list[] | select(.name == "rule") | .query')"
# Every $name or ${name} in a query is a variable of the dashboard or one
# of Grafana's own ($__rate_interval, $__interval, $__range).
vars=$(jqd '.templating.list[].name')
used=$(jqd '.panels[].targets[].expr, .templating.list[].query | strings' |
	grep -oE '\$\{?[A-Za-z_][A-Za-z0-9_]*' | tr -d '${' | sort -u)
bad=
for v in $used; do
	case $v in
	__rate_interval | __interval | __range) ;;
	*) grep -qx -- "$v" <<<"$vars" || bad="$bad $v" ;;
	esac
done
e2e_result "$([ -z "$bad" ] && echo 0 || echo 1)" \
	"every variable a query uses is defined" "undefined:$bad"

# The queries, one a line: "WHERE<TAB>PROMQL".  WHERE is "panel TITLE",
# "variable NAME" (the selector of its label_values()) or "alert NAME".
jq -r '(.panels[] | .title as $t | .targets[] |
	 "panel \($t)\t\(.expr | gsub("[\n\t]"; " "))"),
	(.templating.list[] | select(.type == "query") |
	 "variable \(.name)\t\(.query | capture("^label_values\\((?<s>.*),[^,]*\\)$").s)")' \
	"$dash" >"$E2E_TMP/queries.tsv"
# The alert rules' expressions: "expr: ..." on one line, or "expr: |" and
# the lines indented deeper, joined.
awk '
	function flush() { if (alert != "") print "alert " alert "\t" buf; buf = "" }
	inexpr && (match($0, /^ */) && RLENGTH > indent || $0 ~ /^ *$/) {
		buf = buf " " $0; next
	}
	inexpr { flush(); inexpr = 0 }
	/^ *- alert: / { alert = $0; sub(/^ *- alert: */, "", alert) }
	/^ *expr: *\|/ { inexpr = 1; match($0, /^ */); indent = RLENGTH; next }
	/^ *expr: / { buf = $0; sub(/^ *expr: */, "", buf); flush() }
	END { if (inexpr) flush() }' "$alerts" >>"$E2E_TMP/queries.tsv"
nalerts=$(grep -c '^ *- alert: ' "$alerts")
e2e_check "an expression read for each of the $nalerts alert rules" \
	test "$(grep -c '^alert ' "$E2E_TMP/queries.tsv")" = "$nalerts"

# The names each query uses, one a line: "WHERE<TAB>KIND<TAB>NAME", KIND
# "metric" (read by rate() or increase(): "counter") or "label" (filtered
# or grouped on; not instance, job or le, which Prometheus or a histogram
# adds, nor the labels of on() and ignoring(), which join).
python3 - "$E2E_TMP/queries.tsv" >"$E2E_TMP/names.tsv" <<'PY'
import re, sys
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right",
            "and", "or", "unless", "offset", "bool", "inf", "nan"}
OWN = {"instance", "job", "le"}
NAME = r"[A-Za-z_:][A-Za-z0-9_:]*"
STR = r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`'
seen = set()
def out(*f):
    if f not in seen:
        seen.add(f)
        print("\t".join(f))
for line in open(sys.argv[1]):
    where, expr = line.rstrip("\n").split("\t", 1)
    e = re.sub(STR, '""', expr)
    for m in re.finditer(r"\{([^}]*)\}", e):
        for l in re.findall(r"(" + NAME + r")\s*(?:=~|!~|!=|=)", m.group(1)):
            if l not in OWN:
                out(where, "label", l)
    counters = {m.group(2) for m in re.finditer(
        r"\b(rate|irate|increase)\s*\(\s*(" + NAME + r")", e)}
    e = re.sub(r"\{[^}]*\}", " ", e)
    e = re.sub(r"\[[^\]]*\]", " ", e)
    for m in re.finditer(r"\b(by|without|on|ignoring|group_left|group_right)"
                         r"\s*\(([^)]*)\)", e):
        if m.group(1) in ("by", "without"):
            for l in re.findall(NAME, m.group(2)):
                if l not in OWN:
                    out(where, "label", l)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)"
               r"\s*\([^)]*\)", " ", e)
    for m in re.finditer(r"(?<![\w.])(" + NAME + r")(\s*\()?", e):
        n = m.group(1)
        if m.group(2) or n in KEYWORDS:
            continue
        out(where, "counter" if n in counters else "metric", n)
PY
e2e_check "metric names read from the queries" grep -q '	metric	\|	counter	' \
	"$E2E_TMP/names.tsv"

# --- The families a running replymilter serves ---------------------------

bin=$(rm_binary)
[ -x "$bin" ] || e2e_bail "no replymilter binary at $bin (run make, or set REPLYMILTER)"
port=$(e2e_free_port) || e2e_bail "no free port"
cat >"$E2E_TMP/grafana.conf" <<CONF
socket_mode = "0666"
metrics_listen = "127.0.0.1:$port"
rule "spf-fail" {
    stage = rcpt
    rcpt  = "/^spf-fail@/"
    reply = "5.7.23"
}
CONF
if ! "$bin" -n -c "$E2E_TMP/grafana.conf" >"$E2E_TMP/check.out" 2>&1; then
	if grep -q "built without the metrics endpoint" "$E2E_TMP/check.out"; then
		echo "SKIP: $0: replymilter is built without libmicrohttpd"
		exit 77
	fi
fi
rm_start "$E2E_TMP/grafana.conf"
e2e_wait_port 127.0.0.1 "$port" 5 || e2e_bail "the endpoint does not listen on $port"
python3 - "http://127.0.0.1:$port/metrics" >"$E2E_TMP/metrics.txt" <<'PY' ||
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
    sys.stdout.write(r.read().decode())
PY
	e2e_bail "cannot read /metrics"
# "FAMILY TYPE" from the # TYPE lines, and "FAMILY LABEL" for each label
# on a sample of the family.
awk '$1 == "#" && $2 == "TYPE" { print $3, $4 }' "$E2E_TMP/metrics.txt" \
	>"$E2E_TMP/types"
awk 'NR == FNR { type[$1] = $2; next }
	/^#/ || !/\{/ { next }
	{
		name = substr($0, 1, index($0, "{") - 1)
		fam = name
		if (!(fam in type)) sub(/_(bucket|sum|count)$/, "", fam)
		rest = substr($0, index($0, "{") + 1)
		while (match(rest, /^[A-Za-z_][A-Za-z0-9_]*="([^"\\]|\\.)*",?/)) {
			l = substr(rest, 1, index(rest, "=") - 1)
			print fam, l
			rest = substr(rest, RLENGTH + 1)
		}
	}' "$E2E_TMP/types" "$E2E_TMP/metrics.txt" | sort -u >"$E2E_TMP/labels"
e2e_check "the endpoint has # TYPE lines ($(wc -l <"$E2E_TMP/types"))" \
	test -s "$E2E_TMP/types"

# family_of NAME - print "FAMILY TYPE" of the family that serves the
# series NAME (a histogram's x covers x_bucket, x_sum, x_count), or nothing
family_of() {
	awk -v n="$1" '$1 == n' "$E2E_TMP/types"
	case $1 in
	*_bucket)
		awk -v n="${1%_bucket}" '$1 == n && $2 == "histogram"' \
			"$E2E_TMP/types"
		;;
	*_sum | *_count)
		awk -v n="${1%_*}" '$1 == n && ($2 == "histogram" ||
			$2 == "summary")' "$E2E_TMP/types"
		;;
	esac
}

# Every metric a query reads: served, and a counter under rate().
while IFS=$'\t' read -r where kind name; do
	[ "$kind" = label ] && continue
	if [ "$name" = up ]; then
		e2e_result 0 "$where: up is Prometheus' own"
		continue
	fi
	fam=$(family_of "$name" | head -n 1)
	if [ -z "$fam" ]; then
		e2e_result 1 "$where: $name is served" \
			"replymilter serves no family $name (# TYPE lines: $E2E_TMP/types)"
		continue
	fi
	if [ "$kind" = counter ]; then
		case $fam in
		"$name counter" | *" histogram") e2e_result 0 "$where: $name is served, a counter" ;;
		*) e2e_result 1 "$where: $name is served, a counter" \
			"rate() or increase() over a ${fam#* }" ;;
		esac
	else
		e2e_result 0 "$where: $name is served (${fam#* })"
	fi
done <"$E2E_TMP/names.tsv"

# Every label a query filters or groups on is on the samples of one of
# the families it reads, unless none of them has samples yet.
while IFS=$'\t' read -r where kind label; do
	[ "$kind" = label ] || continue
	fams=$(awk -F'\t' -v w="$where" '$1 == w && $2 != "label" { print $3 }' \
		"$E2E_TMP/names.tsv" | while read -r n; do
		family_of "$n" | cut -d' ' -f1
	done | sort -u)
	fams=${fams//$'\n'/ }
	found=no sampled=no
	for f in $fams; do
		grep -q "^$f " "$E2E_TMP/labels" && sampled=yes
		grep -qx "$f $label" "$E2E_TMP/labels" && found=yes
	done
	if [ "$found" = yes ]; then
		e2e_result 0 "$where: label $label is on the samples"
	elif [ "$sampled" = no ]; then
		# Not served (failed above), or no samples yet: nothing to read.
		e2e_note "$where: label $label not checked: no samples of ${fams:-a served family}"
	else
		e2e_result 1 "$where: label $label is on the samples" \
			"no sample of $fams has it"
	fi
done <"$E2E_TMP/names.tsv"

# --- Prometheus' own checks ----------------------------------------------

if ! command -v promtool >/dev/null 2>&1; then
	if [ "${LIVE_TESTS:-}" = yes ]; then
		e2e_result 1 "promtool is installed" \
			"LIVE_TESTS=yes and no promtool: apt-get install prometheus"
	else
		e2e_note "no promtool (apt-get install prometheus): the promtool checks are left out"
	fi
	e2e_summary
	exit
fi

# promtool_ok LABEL ARG... - promtool ARG... exits 0; its output is the
# diagnostic when it does not
promtool_ok() {
	local label=$1 out
	shift
	if out=$(promtool "$@" 2>&1); then
		e2e_result 0 "$label"
	else
		e2e_result 1 "$label" "promtool $*:" "$out"
	fi
}

promtool_ok "the endpoint's text passes promtool check metrics" \
	check metrics <"$E2E_TMP/metrics.txt"
promtool_ok "promtool check rules: the alert rules" check rules "$alerts"
{
	printf 'global:\n  scrape_interval: 15s\nrule_files:\n  - %s\n' "$alerts"
	cat "$scrape"
} >"$E2E_TMP/prometheus.yml"
promtool_ok "promtool check config: prometheus.yml with the scrape snippet and the rules" \
	check config "$E2E_TMP/prometheus.yml"
e2e_check "the scrape snippet: job replymilter on 127.0.0.1:9464" \
	grep -qE '^ *- 127\.0\.0\.1:9464$' "$scrape"

# Each dashboard query as a recording rule, the variables filled in, so
# promtool parses it as PromQL.
grep '^panel ' "$E2E_TMP/queries.tsv" | cut -f2 | sed \
	-e 's/\$__rate_interval/1m/g' -e 's/\$__interval/1m/g' \
	-e 's/\$__range/1h/g' -e 's/\$[A-Za-z_]*/.*/g' |
	jq -R -s '{groups: [{name: "dashboard", rules: [split("\n")[]
		| select(. != "") | {record: "dashboard:query", expr: .}]}]}' \
	>"$E2E_TMP/dashboard-rules.json"
promtool_ok "every dashboard query parses as PromQL" check rules \
	"$E2E_TMP/dashboard-rules.json"

# The alerts on made-up series, a minute apart: each fires where it
# should, and not on the instance beside it.
cat >"$E2E_TMP/alerts-test.yml" <<TEST
rule_files:
  - $alerts
evaluation_interval: 1m
tests:
  - name: down
    interval: 1m
    input_series:
      - series: 'up{job="replymilter",instance="a:9464"}'
        values: '1 1 0 0 0 0 0'
      - series: 'up{job="replymilter",instance="b:9464"}'
        values: '1x6'
    alert_rule_test:
      - eval_time: 3m
        alertname: ReplymilterDown
      - eval_time: 6m
        alertname: ReplymilterDown
        exp_alerts:
          - exp_labels: {severity: critical, job: replymilter, instance: "a:9464"}
            exp_annotations:
              summary: "replymilter on a:9464 does not answer on /metrics"
              description: "Prometheus has not read a:9464 for 2 minutes. While the milter is down the MTA defers or accepts mail unchecked, as its milter_default_action says."
  - name: internal failures
    interval: 1m
    input_series:
      - series: 'replymilter_failures_total{job="replymilter",instance="a:9464",cause="memory"}'
        values: '0x12 3x20'
      - series: 'replymilter_failures_total{job="replymilter",instance="a:9464",cause="check"}'
        values: '0x32'
    alert_rule_test:
      - eval_time: 12m
        alertname: ReplymilterInternalFailures
      - eval_time: 20m
        alertname: ReplymilterInternalFailures
        exp_alerts:
          - exp_labels: {severity: warning, job: replymilter, instance: "a:9464", cause: memory}
            exp_annotations:
              summary: "replymilter on a:9464: 3 internal failures (memory) in 10 minutes"
              description: "Each one answered a client with on_failure instead of a decision. The log has one line per failure, with the queue id, the stage and cause=memory."
      - eval_time: 32m
        alertname: ReplymilterInternalFailures
  - name: reload refused
    interval: 1m
    # a: good at 3m, refused at 6m: fires.  b: refused at 3m, good at 6m:
    # quiet.  c: refused at 3m, no good one: fires.  d: good, refused,
    # good again at 9m: quiet.
    input_series:
      - series: 'replymilter_config_generation{job="replymilter",instance="a:9464"}'
        values: '1 1 1 2x17'
      - series: 'replymilter_reloads_total{job="replymilter",instance="a:9464",result="refused"}'
        values: '0x5 1x14'
      - series: 'replymilter_config_generation{job="replymilter",instance="b:9464"}'
        values: '1x5 2x14'
      - series: 'replymilter_reloads_total{job="replymilter",instance="b:9464",result="refused"}'
        values: '0 0 0 1x17'
      - series: 'replymilter_config_generation{job="replymilter",instance="c:9464"}'
        values: '1x20'
      - series: 'replymilter_reloads_total{job="replymilter",instance="c:9464",result="refused"}'
        values: '0 0 0 1x17'
      - series: 'replymilter_config_generation{job="replymilter",instance="d:9464"}'
        values: '1 1 1 2 2 2 2 2 2 3x11'
      - series: 'replymilter_reloads_total{job="replymilter",instance="d:9464",result="refused"}'
        values: '0x5 1x14'
    alert_rule_test:
      - eval_time: 15m
        alertname: ReplymilterReloadRefused
        exp_alerts:
          - exp_labels: {severity: warning, job: replymilter, instance: "a:9464"}
            exp_annotations:
              summary: "replymilter on a:9464 refused its new config and runs the old policy"
              description: "The config generation has not moved since the refused reload. \`replymilter -n -c FILE\` prints every error with its file:line; fix them and send SIGHUP again."
          - exp_labels: {severity: warning, job: replymilter, instance: "c:9464"}
            exp_annotations:
              summary: "replymilter on c:9464 refused its new config and runs the old policy"
              description: "The config generation has not moved since the refused reload. \`replymilter -n -c FILE\` prints every error with its file:line; fix them and send SIGHUP again."
  - name: dns tempfail
    interval: 1m
    # a: 2 of 10 queries a minute fail (20 %): fires.  b: 1 of 20 (5 %).
    input_series:
      - series: 'replymilter_dns_queries_total{job="replymilter",instance="a:9464",type="TXT",result="ok"}'
        values: '0+8x30'
      - series: 'replymilter_dns_queries_total{job="replymilter",instance="a:9464",type="TXT",result="tempfail"}'
        values: '0+2x30'
      - series: 'replymilter_dns_queries_total{job="replymilter",instance="b:9464",type="TXT",result="ok"}'
        values: '0+19x30'
      - series: 'replymilter_dns_queries_total{job="replymilter",instance="b:9464",type="TXT",result="tempfail"}'
        values: '0+1x30'
    alert_rule_test:
      - eval_time: 10m
        alertname: ReplymilterDNSTempfail
      - eval_time: 20m
        alertname: ReplymilterDNSTempfail
        exp_alerts:
          - exp_labels: {severity: warning, job: replymilter, instance: "a:9464"}
            exp_annotations:
              summary: "replymilter on a:9464: 20% of DNS queries fail temporarily"
              description: "The checks that depend on these answers return tempfail, so mail is deferred. Check the resolver replymilter asks (dns_server, or /etc/resolv.conf)."
TEST
promtool_ok "promtool test rules: each alert fires where it should, and only there" \
	test rules "$E2E_TMP/alerts-test.yml"
e2e_summary
