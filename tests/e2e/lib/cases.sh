# shellcheck shell=bash
#
# tests/e2e/lib/cases.sh - the end-to-end cases, one table for both MTAs.
#
# tests/e2e/postfix.sh and tests/e2e/sendmail.sh start their MTA in front
# of replymilter (tests/e2e/conf/e2e.conf), describe its dialect in the
# MTA_* variables below and call e2e_run_cases: the same 13 cases, in the
# same order, each checking what the client reads, what replymilter logs
# and, for deliveries, what reached the sink; then reload, a broken reload,
# SIGUSR1 and SIGTERM, and what the client gets with replymilter gone.
#
# Needs: common.sh and replymilter.sh sourced, e2e_init called, rm_start
#   done, and the MTA running.
#
# The dialect (set before e2e_run_cases):
#   MTA_NAME           "Postfix" or "Sendmail", for the labels
#   MTA_DIR            the instance's folder (maillog, sink/mbox in it)
#   MTA_PORT           the listener with no special settings
#   MTA_PORT_BLOCKED   the listener named blocked-mta
#   MTA_ADDR_ECHO      yes when the MTA puts "<address>... " before the text
#                      of a reply to MAIL or RCPT that names that address
#                      (Sendmail); the expected replies below write it in
#                      braces: {<a@example.org>... }
#   MTA_RCPT_OK        printf format of the client's RCPT 250 line, %s the
#                      recipient
#   MTA_ACCEPTED_RE    extended regex of the client's line for an accepted
#                      message ("DOT 250 ...")
#   MTA_QID_SED        sed -n script printing the queue id of that line
#   MTA_NOHELO_QID     what replymilter logs as the queue id when it answers
#                      a connect-stage decision at MAIL to a client that
#                      sent no HELO ("NOQUEUE", or "@QID@": any)
#   MTA_DELIVERED_RE   printf format of the MTA's log line (extended regex)
#                      for a delivery to the sink, %s the queue id
#   MTA_REJECT_LOG_RE  extended regex of the MTA's own log line for the
#                      RCPT reject of spf-fail@example.org
#   MTA_DOWN_REPLY     the client's MAIL line when replymilter is gone
#   MTA_DOWN_SETTING   the snippet's setting that gives it, for the label

# mta_reply TEXT - TEXT in the MTA's dialect: {...} kept (braces dropped)
# when MTA_ADDR_ECHO is yes, removed otherwise
mta_reply() {
	if [ "$MTA_ADDR_ECHO" = yes ]; then
		printf '%s' "$1" | sed 's/{\([^}]*\)}/\1/g'
	else
		printf '%s' "$1" | sed 's/{[^}]*}//g'
	fi
}

# e2e_sink_message SUBJECT - the delivered message whose Subject is SUBJECT
e2e_sink_message() {
	mta_sink_message "$MTA_DIR" "$1"
}

# e2e_run_cases - every case, then reload and stop; checks go through
# e2e_result
e2e_run_cases() {
	local mark tag msg qid blocked

	RM_PORT=$MTA_PORT
	blocked="Connections to this listener are refused (client 127.0.0.1)"

	# --- Each rule, as the client sees it ------------------------------

	mark=$(rm_log_mark)
	rm_case "RCPT reject, reply = \"5.7.23\" completed by the registry" RCPT \
		"$(mta_reply "RCPT 550 5.7.23 {<spf-fail@example.org>... }SPF validation failed")" \
		--to spf-fail@example.org
	rm_expect_log "$mark" 'replymilter: @QID@: client=@CLIENT@ stage=rcpt rule=spf-fail id=spf-fail action=reject reply="550 5.7.23 SPF validation failed"' \
		"log: RCPT reject"

	mark=$(rm_log_mark)
	rm_case "MAIL tempfail, reply = \"452 4.3.1\"" MAIL \
		"MAIL 452 4.3.1 Mail system full" --from full@example.com
	rm_expect_log "$mark" 'replymilter: @QID@: client=@CLIENT@ stage=mail rule=spool-full id=spool-full action=tempfail reply="452 4.3.1 Mail system full"' \
		"log: MAIL tempfail"

	mark=$(rm_log_mark)
	rm_case "RCPT reject, three-line reply" RCPT \
		"$(mta_reply "RCPT 550-5.7.1 {<multi@example.org>... }Recipient multi@example.org is refused here.
RCPT 550-5.7.1 This is the second line of the reply,
RCPT 550 5.7.1 and this the third.")" --to multi@example.org
	rm_expect_log "$mark" 'replymilter: @QID@: client=@CLIENT@ stage=rcpt rule=multi-line id=multi-line action=reject reply="550-5.7.1 Recipient multi@example.org is refused here. / 550-5.7.1 This is the second line of the reply, / 550 5.7.1 and this the third."' \
		"log: a three-line reject is one log line, its lines joined by \" / \""
	expect_no_reply "$(rm_log_since "$mark")" '^550[- ]5\.7\.1 ' \
		"log: no log line starts with a reply line"

	mark=$(rm_log_mark)
	RM_PORT=$MTA_PORT_BLOCKED
	rm_case "connect-stage reject (listener blocked-mta), answered at HELO, held by $MTA_NAME until MAIL" \
		"EHLO MAIL" \
		"EHLO 250 ENHANCEDSTATUSCODES
MAIL 550 5.7.1 $blocked"
	RM_PORT=$MTA_PORT
	rm_expect_log "$mark" "replymilter: NOQUEUE: client=@CLIENT@ stage=helo rule=blocked-listener id=blocked-listener action=reject reply=\"550 5.7.1 $blocked\" decided=connect" \
		"log: connect decision answered at HELO"

	# A client that sends no HELO: the decision is answered at MAIL FROM.
	mark=$(rm_log_mark)
	rm_raw_case "connect-stage reject, client sends no HELO: answered at MAIL" \
		"$MTA_PORT_BLOCKED" \
		"$(mta_reply "MAIL 550 5.7.1 {<sender@example.com>... }$blocked")" \
		"MAIL FROM:<sender@example.com>"
	rm_expect_log "$mark" "replymilter: $MTA_NOHELO_QID: client=@CLIENT@ stage=mail rule=blocked-listener id=blocked-listener action=reject reply=\"550 5.7.1 $blocked\" decided=connect" \
		"log: connect decision answered at MAIL"

	# A second EHLO does not wipe the decision out.
	rm_raw_case "connect-stage reject, client sends EHLO twice" \
		"$MTA_PORT_BLOCKED" \
		"EHLO 250 ENHANCEDSTATUSCODES
MAIL 550 5.7.1 $blocked" \
		"EHLO one.example.net" "EHLO two.example.net" \
		"MAIL FROM:<sender@example.com>"

	mark=$(rm_log_mark)
	rm_case "end-of-data reject (Subject /reject-me/)" "RCPT DOT" \
		"DOT 550 5.7.1 Message refused by content policy" \
		--header "Subject: reject-me please"
	expect_reply "$RM_OUT" '^RCPT 250 2\.1\.5 ' \
		"end-of-data reject: RCPT was accepted"
	rm_expect_log "$mark" 'replymilter: @QID@: client=@CLIENT@ stage=eom rule=subject-reject id=subject-reject action=reject reply="550 5.7.1 Message refused by content policy"' \
		"log: end-of-data reject"

	mark=$(rm_log_mark)
	rm_case "MAIL reject, %{sender} with a '%' (100%sure@)" MAIL \
		"$(mta_reply "MAIL 550 5.7.1 {<100%sure@example.com>... }Sender 100%sure@example.com is not accepted here")" \
		--from 100%sure@example.com
	rm_expect_log "$mark" 'replymilter: @QID@: client=@CLIENT@ stage=mail rule=percent-sender id=percent-sender action=reject reply="550 5.7.1 Sender 100%sure@example.com is not accepted here"' \
		"log: '%' sender reject"

	# --- Deliveries and the headers replymilter adds -------------------

	tag=$$-$RANDOM
	mark=$(rm_log_mark)
	rm_case_re "dry-run rule (RCPT dry-run@): accepted, header added" \
		"RCPT DOT" "$MTA_ACCEPTED_RE" \
		--to dry-run@example.org --header "Subject: e2e-dry-run-$tag"
	# shellcheck disable=SC2059
	expect_line "$RM_OUT" "$(printf "$MTA_RCPT_OK" '<dry-run@example.org>')" \
		"dry run: RCPT accepted"
	rm_expect_log "$mark" 'replymilter: @QID@: client=@CLIENT@ stage=rcpt rule=dry-run-rcpt id=dry-run-rcpt action=reject reply="550 5.7.1 Recipient refused by the new policy" mode=dry-run' \
		"log: dry run"
	e2e_check "dry run: message delivered to the sink" \
		mta_wait_sink "$MTA_DIR" "^Subject: e2e-dry-run-$tag\$" 15
	msg=$(e2e_sink_message "e2e-dry-run-$tag")
	expect_line "$msg" "X-Replymilter-Dry-Run: rule=dry-run-rcpt; id=dry-run-rcpt; stage=rcpt; would=reject 550 5.7.1 Recipient refused by the new policy" \
		"dry run: X-Replymilter-Dry-Run header in the delivered message"
	expect_line "$msg" "X-Replymilter-E2E: checked sender=sender@example.com rule=tag" \
		"dry run: X-Replymilter-E2E header in the delivered message"

	mark=$(rm_log_mark)
	rm_case_re "add-header, %{sender} with a '%' (50%off@)" DOT \
		"$MTA_ACCEPTED_RE" \
		--from 50%off@example.com --header "Subject: e2e-percent-$tag"
	qid=$(printf '%s\n' "$RM_OUT" | sed -n "$MTA_QID_SED")
	rm_expect_log "$mark" "replymilter: ${qid:-NONE}: client=@CLIENT@ stage=eom rule=tag id=tag action=add-header" \
		"log: add-header, with the queue id"
	e2e_check "'%' sender: message delivered to the sink" \
		mta_wait_sink "$MTA_DIR" "^Subject: e2e-percent-$tag\$" 15
	expect_line "$(e2e_sink_message "e2e-percent-$tag")" \
		"X-Replymilter-E2E: checked sender=50%off@example.com rule=tag" \
		"'%' sender: header value has a single '%'"

	rm_case_re "no rule refuses: delivered" DOT "$MTA_ACCEPTED_RE" \
		--to ok@example.org --header "Subject: e2e-ok-$tag"
	qid=$(printf '%s\n' "$RM_OUT" | sed -n "$MTA_QID_SED")
	# shellcheck disable=SC2059
	e2e_check "delivered: $MTA_NAME logs the delivery of ${qid:-NONE} to the sink" \
		mta_wait_log "$MTA_DIR" "$(printf "$MTA_DELIVERED_RE" "${qid:-NONE}")" 15
	msg=$(e2e_sink_message "e2e-ok-$tag")
	expect_line "$msg" "X-E2E-Envelope-To: ok@example.org" "delivered: in the sink"
	expect_line "$msg" "X-Replymilter-E2E: checked sender=sender@example.com rule=tag" \
		"delivered: X-Replymilter-E2E header"
	expect_no_reply "$msg" '^X-Replymilter-Dry-Run:' "delivered: no dry-run header"

	mark=$(rm_log_mark)
	rm_case_re "accept rule at MAIL (vip@), even to spf-fail@" "RCPT DOT" \
		"$MTA_ACCEPTED_RE" \
		--from vip@example.com --to spf-fail@example.org \
		--header "Subject: e2e-vip-$tag"
	# shellcheck disable=SC2059
	expect_line "$RM_OUT" "$(printf "$MTA_RCPT_OK" '<spf-fail@example.org>')" \
		"accept: spf-fail@ accepted after the accept"
	rm_expect_log "$mark" 'replymilter: @QID@: client=@CLIENT@ stage=mail rule=vip-sender id=vip-sender action=accept' \
		"log: accept"
	e2e_check "accept: message delivered to the sink" \
		mta_wait_sink "$MTA_DIR" "^Subject: e2e-vip-$tag\$" 15
	expect_no_reply "$(e2e_sink_message "e2e-vip-$tag")" '^X-Replymilter' \
		"accept: no later rule ran (no header added)"

	# What the MTA itself logged.
	expect_reply "$(mta_log "$MTA_DIR")" "$MTA_REJECT_LOG_RE" \
		"$MTA_NAME log: milter reject with replymilter's text"

	# --- Reload, bad reload, stop --------------------------------------

	rm_reload_test "$MTA_PORT" \
		"$(mta_reply "RCPT 550 5.7.23 {<spf-fail@example.org>... }SPF validation failed")" \
		"$(mta_reply "RCPT 550 5.7.23 {<spf-fail@example.org>... }SPF validation failed (policy reloaded)")" \
		"$(mta_reply "550 5.7.23 {<spf-fail@example.org>... }SPF validation failed")"
	rm_broken_reload_test "$MTA_PORT" \
		"$(mta_reply "RCPT 550 5.7.23 {<spf-fail@example.org>... }SPF validation failed (policy reloaded)")"
	rm_hits_test
	rm_stop_test

	# With replymilter gone, what the snippet's setting makes the MTA say.
	RM_OUT=$(smtp_session "$MTA_PORT" --to ok@example.org)
	expect_line "$RM_OUT" "$MTA_DOWN_REPLY" \
		"replymilter down: $MTA_NAME defers ($MTA_DOWN_SETTING)"
	expect_no_reply "$RM_OUT" '^DOT 250 ' "replymilter down: nothing accepted"
	rm_table_add "replymilter stopped (snippet: $MTA_DOWN_SETTING)" \
		"$(rm_stage_lines "$RM_OUT" "MAIL RCPT DOT")"
}
