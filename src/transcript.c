/*
 * transcript - replymilter --test: replay an SMTP transaction written as
 * lines against a policy, and print what each stage would answer
 */
#include "config.h"

#include "transcript.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "flow.h"
#include "limiter.h"

/* Where the replay stands, as an SMTP client would see it. */
enum state {
	ST_NONE,	/* no connection */
	ST_CONNECTED,	/* between messages */
	ST_MESSAGE,	/* MAIL accepted */
	ST_SKIP		/* MAIL refused or message discarded: until RSET/MAIL */
};

struct replay {
	struct policy *policy;
	struct flow *flow;
	FILE *out;
	const char *name;
	unsigned line;
	enum state state;
	bool in_headers;	/* headers seen, end of headers not run */
	bool eoh_done;
	unsigned accepted_rcpts;
	const char *skip_why;
	/* Results given by "check" lines: they hold for the connection. */
	bool forced[CHECK_COUNT];
	unsigned char forced_result[CHECK_COUNT];
};

/* apply_checks - put the transcript's check results into the session
 * (a new message forgets message-level results). */
static void
apply_checks(struct replay *rp)
{
	for (int i = 0; i < CHECK_COUNT; i++)
		if (rp->forced[i])
			session_set_check(flow_session(rp->flow),
			    (enum check_id)i, rp->forced_result[i]);
}

/* print_result - one "stage: outcome" line (more for multi-line replies). */
static void
print_result(struct replay *rp, enum stage stage,
    const struct flow_result *res)
{
	FILE *out = rp->out;

	fprintf(out, "%s: ", stage_name(stage));
	switch (res->outcome) {
	case FLOW_CONTINUE:
		if (stage == STAGE_CONNECT && flow_pending(rp->flow))
			fprintf(out, "%s by rule \"%s\", answered at the next "
			    "stage (libmilter cannot reply at connect)\n",
			    policy_action_name(policy_rule_action(res->rule)),
			    policy_rule_name(res->rule));
		else if (res->rule != NULL)
			fprintf(out, "continue by rule \"%s\"\n",
			    policy_rule_name(res->rule));
		else
			fprintf(out, "continue\n");
		return;
	case FLOW_ACCEPT:
		fprintf(out, "accept by rule \"%s\"%s\n", policy_rule_name(res->rule),
		    stage <= STAGE_HELO ? " (no more rules for this "
		    "connection)" : " (no more rules for this message)");
		return;
	case FLOW_DISCARD:
		fprintf(out, "discard by rule \"%s\" (the client is told the "
		    "message was accepted)\n", policy_rule_name(res->rule));
		return;
	case FLOW_FAIL:
		fprintf(out, "failure: ");
		break;
	case FLOW_REJECT:
	case FLOW_TEMPFAIL:
		fprintf(out, "%s by rule \"%s\" (id %s)%s: ",
		    flow_outcome_name(res->outcome), policy_rule_name(res->rule),
		    policy_rule_id(res->rule), res->deferred ? ", decided at connect" : "");
		break;
	}
	/* Continuation lines of a multi-line reply, indented. */
	for (const char *p = res->text; *p != '\0'; p++) {
		fputc(*p, out);
		if (*p == '\n')
			fprintf(out, "    ");
	}
	fputc('\n', out);
}

/* print_effects - the dry-run and add-header rules met at a stage. */
static void
print_effects(struct replay *rp, enum stage stage,
    const struct flow_result *res)
{
	for (unsigned i = 0; i < res->neffects; i++) {
		const struct rule *r = res->effects[i];

		if (policy_rule_dry_run(r))
			fprintf(rp->out, "%s: dry run: rule \"%s\" would %s\n",
			    stage_name(stage), policy_rule_name(r),
			    policy_action_name(policy_rule_action(r)));
		else
			fprintf(rp->out, "%s: rule \"%s\" adds header %s at "
			    "end of message\n", stage_name(stage), policy_rule_name(r),
			    policy_rule_header_name(r));
	}
}

/* run_stage - evaluate a stage and print it; the outcome. */
static enum flow_outcome
run_stage(struct replay *rp, enum stage stage)
{
	struct flow_result res;
	enum flow_outcome o = flow_stage(rp->flow, stage, &res);

	print_effects(rp, stage, &res);
	print_result(rp, stage, &res);
	return o;
}

/* bad_line - report an unreadable line; EX_DATAERR. */
static int
bad_line(struct replay *rp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
bad_line(struct replay *rp, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%u: ", rp->name, rp->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EX_DATAERR;
}

/* need_connection - a connection for commands that need one. */
static int
need_connection(struct replay *rp, const char *cmd)
{
	if (rp->state == ST_NONE)
		return bad_line(rp, "\"%s\" before \"connect\"", cmd);
	return 0;
}

/* end_connection - close the current connection, if any. */
static void
end_connection(struct replay *rp)
{
	flow_free(rp->flow);
	rp->flow = NULL;
	rp->state = ST_NONE;
}

/* run_eoh - end of headers, once, before the body or end of message. */
static bool
run_eoh(struct replay *rp)
{
	enum flow_outcome o;

	if (rp->eoh_done)
		return true;
	rp->eoh_done = true;
	o = run_stage(rp, STAGE_EOH);
	return o == FLOW_CONTINUE || o == FLOW_ACCEPT;
}

/* end_message - the message is over (refused, discarded or ended). */
static void
end_message(struct replay *rp, enum state next, const char *why)
{
	flow_end_message(rp->flow);
	rp->state = next;
	rp->skip_why = why;
}

/* cmd_connect - "connect HOST [ADDR]". */
static int
cmd_connect(struct replay *rp, char *args)
{
	char *host = strtok(args, " \t"), *addr = strtok(NULL, " \t");

	if (host == NULL)
		return bad_line(rp, "connect: give a host name");
	if (addr != NULL && addr[0] == '[') {
		addr++;
		addr[strcspn(addr, "]")] = '\0';
	}
	end_connection(rp);
	if ((rp->flow = flow_new(rp->policy)) == NULL ||
	    session_set_client(flow_session(rp->flow), host, addr) != 0) {
		fprintf(stderr, "replymilter: out of memory\n");
		return EX_SOFTWARE;
	}
	/* No DNS in a replay: "check" lines stand in for the checks. */
	flow_run_checks(rp->flow, false);
	rp->state = ST_CONNECTED;
	memset(rp->forced, 0, sizeof(rp->forced));
	run_stage(rp, STAGE_CONNECT);
	return 0;
}

/* parse_mail_args - "<addr> [SIZE=n]" (a leading "from:" allowed) into
 * address and size; 0, or -1. */
static int
parse_mail_args(char *args, char **address, bool *has_size,
    unsigned long *size)
{
	char *p = args;

	if (strncasecmp(p, "from:", 5) == 0 || strncasecmp(p, "to:", 3) == 0)
		p = strchr(p, ':') + 1;
	while (*p == ' ')
		p++;
	*address = p;
	*has_size = false;
	if (*p == '<') {
		char *end = strchr(p, '>');

		if (end == NULL)
			return -1;
		p = end + 1;
	} else {
		p += strcspn(p, " \t");
	}
	if (*p != '\0')
		*p++ = '\0';
	for (char *tok = strtok(p, " \t"); tok != NULL;
	    tok = strtok(NULL, " \t")) {
		if (strncasecmp(tok, "SIZE=", 5) == 0) {
			char *end;

			*size = strtoul(tok + 5, &end, 10);
			if (*end != '\0' || end == tok + 5)
				return -1;
			*has_size = true;
		}
	}
	return 0;
}

/* cmd_mail - "mail <ADDR> [SIZE=n]": a new message. */
static int
cmd_mail(struct replay *rp, char *args)
{
	unsigned long size = 0;
	bool has_size;
	char *addr;
	enum flow_outcome o;

	if (parse_mail_args(args, &addr, &has_size, &size) != 0)
		return bad_line(rp, "mail: write mail <ADDRESS> [SIZE=n]");
	if (rp->state == ST_MESSAGE || rp->state == ST_SKIP)
		flow_end_message(rp->flow);
	flow_begin_message(rp->flow);
	apply_checks(rp);
	rp->in_headers = rp->eoh_done = false;
	rp->accepted_rcpts = 0;
	if (session_set_sender(flow_session(rp->flow), addr, has_size, size)
	    != 0)
		return EX_SOFTWARE;
	rp->state = ST_MESSAGE;
	o = run_stage(rp, STAGE_MAIL);
	if (o == FLOW_REJECT || o == FLOW_TEMPFAIL || o == FLOW_FAIL)
		end_message(rp, ST_SKIP, "MAIL FROM was refused");
	else if (o == FLOW_DISCARD)
		end_message(rp, ST_SKIP, "the message is discarded");
	return 0;
}

/* in_message - whether a message command can run; prints why not. */
static bool
in_message(struct replay *rp, const char *stage)
{
	if (rp->state == ST_MESSAGE)
		return true;
	fprintf(rp->out, "%s: skipped (%s)\n", stage, rp->state == ST_SKIP ?
	    rp->skip_why : "no MAIL FROM yet");
	return false;
}

/* cmd_rcpt - "rcpt <ADDR>". */
static int
cmd_rcpt(struct replay *rp, char *args)
{
	unsigned long size;
	bool has_size;
	char *addr;
	enum flow_outcome o;

	if (!in_message(rp, "rcpt"))
		return 0;
	if (parse_mail_args(args, &addr, &has_size, &size) != 0)
		return bad_line(rp, "rcpt: write rcpt <ADDRESS>");
	if (session_add_rcpt(flow_session(rp->flow), addr) != 0)
		return EX_SOFTWARE;
	o = run_stage(rp, STAGE_RCPT);
	if (o == FLOW_DISCARD)
		end_message(rp, ST_SKIP, "the message is discarded");
	else if (o == FLOW_CONTINUE || o == FLOW_ACCEPT)
		rp->accepted_rcpts++;
	return 0;
}

/* data_ready - whether the message may go on to its content. */
static bool
data_ready(struct replay *rp, const char *stage)
{
	if (!in_message(rp, stage))
		return false;
	if (rp->accepted_rcpts == 0) {
		fprintf(rp->out, "%s: skipped (no recipient was accepted, so "
		    "the MTA refuses DATA)\n", stage);
		end_message(rp, ST_SKIP, "no recipient was accepted");
		return false;
	}
	return true;
}

/* after_data_stage - what a refusal during the content means. */
static void
after_data_stage(struct replay *rp, enum flow_outcome o)
{
	if (o == FLOW_REJECT || o == FLOW_TEMPFAIL || o == FLOW_FAIL)
		end_message(rp, ST_SKIP, "the message was refused");
	else if (o == FLOW_DISCARD)
		end_message(rp, ST_SKIP, "the message is discarded");
}

/* cmd_header - "header Name: value". */
static int
cmd_header(struct replay *rp, char *args)
{
	char *colon = strchr(args, ':'), *value;

	if (colon == NULL || colon == args)
		return bad_line(rp, "header: write header Name: value");
	if (!data_ready(rp, "header"))
		return 0;
	*colon = '\0';
	value = colon + 1;
	while (*value == ' ')
		value++;
	if (rp->eoh_done)
		return bad_line(rp, "header after the body has begun");
	if (session_add_header(flow_session(rp->flow), args, value) != 0)
		return EX_SOFTWARE;
	rp->in_headers = true;
	after_data_stage(rp, run_stage(rp, STAGE_HEADER));
	return 0;
}

/* cmd_body - "body TEXT": one line of the body. */
static int
cmd_body(struct replay *rp, char *args)
{
	struct session *s;

	if (!data_ready(rp, "body"))
		return 0;
	if (!run_eoh(rp)) {
		end_message(rp, ST_SKIP, "the message was refused");
		return 0;
	}
	s = flow_session(rp->flow);
	if (session_add_body(s, (const unsigned char *)args, strlen(args)) != 0
	    || session_add_body(s, (const unsigned char *)"\r\n", 2) != 0)
		return EX_SOFTWARE;
	return 0;
}

/* cmd_eom - end of message: end of headers, body rules, then eom rules. */
static int
cmd_eom(struct replay *rp)
{
	const struct flow_header *h;
	enum flow_outcome o;
	unsigned n;

	if (!data_ready(rp, "eom"))
		return 0;
	if (!run_eoh(rp)) {
		end_message(rp, ST_SKIP, "the message was refused");
		return 0;
	}
	o = run_stage(rp, STAGE_BODY);
	if (o == FLOW_CONTINUE || o == FLOW_ACCEPT)
		o = run_stage(rp, STAGE_EOM);
	if (o == FLOW_CONTINUE || o == FLOW_ACCEPT) {
		h = flow_headers(rp->flow, &n);
		for (unsigned i = 0; i < n; i++)
			fprintf(rp->out, "eom: add header %s: %s\n", h[i].name,
			    h[i].value);
	}
	end_message(rp, ST_CONNECTED, NULL);
	return 0;
}

/* cmd_macro - "macro {name} value". */
static int
cmd_macro(struct replay *rp, char *args)
{
	char *name = args, *value = args + strcspn(args, " \t");
	struct session *s = flow_session(rp->flow);

	if (*value != '\0')
		*value++ = '\0';
	while (*value == ' ' || *value == '\t')
		value++;
	if (*name == '\0')
		return bad_line(rp, "macro: write macro {name} value");
	if (session_set_macro(s, name, value, rp->state == ST_MESSAGE) != 0)
		return bad_line(rp, "macro %s: too many macros", name);
	if (strcmp(name, "i") == 0 && session_set_queue_id(s, value) != 0)
		return EX_SOFTWARE;
	return 0;
}

/* cmd_check - "check NAME RESULT". */
static int
cmd_check(struct replay *rp, char *args)
{
	char *name = strtok(args, " \t:="), *result = strtok(NULL, " \t");
	enum check_id id;
	int index;

	if (name == NULL || result == NULL)
		return bad_line(rp, "check: write check NAME RESULT, e.g. check "
		    "spf fail");
	if (check_lookup(name, &id) != 0)
		return bad_line(rp, "check: unknown check \"%s\"", name);
	if ((index = check_result_lookup(id, result)) < 0)
		return bad_line(rp, "check: unknown result \"%s\"", result);
	rp->forced[id] = true;
	rp->forced_result[id] = (unsigned char)index;
	apply_checks(rp);
	return 0;
}

/* cmd_wait - "wait DURATION": the rate limits' and greylisting's clock
 * moves on (nothing else in a replay reads the time); 0, or a status. */
static int
cmd_wait(struct replay *rp, char *args)
{
	unsigned seconds;

	if (limiter_duration(args, &seconds) != 0)
		return bad_line(rp, "wait: write a duration, e.g. wait 5m or "
		    "wait 61s");
	limiter_wait(seconds);
	return 0;
}

/* run_line - one command; 0, or an exit status. */
static int
run_line(struct replay *rp, char *line)
{
	char *cmd = line, *args;
	int rc;

	args = cmd + strcspn(cmd, " \t");
	if (*args != '\0')
		*args++ = '\0';
	while (*args == ' ' || *args == '\t')
		args++;
	for (char *p = cmd; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if (strcmp(cmd, "connect") == 0)
		return cmd_connect(rp, args);
	if (strcmp(cmd, "wait") == 0)
		return cmd_wait(rp, args);
	if ((rc = need_connection(rp, cmd)) != 0)
		return rc;
	if (strcmp(cmd, "helo") == 0 || strcmp(cmd, "ehlo") == 0) {
		if (session_set_helo(flow_session(rp->flow), args) != 0)
			return EX_SOFTWARE;
		run_stage(rp, STAGE_HELO);
		return 0;
	}
	if (strcmp(cmd, "mail") == 0)
		return cmd_mail(rp, args);
	if (strcmp(cmd, "rcpt") == 0)
		return cmd_rcpt(rp, args);
	if (strcmp(cmd, "header") == 0)
		return cmd_header(rp, args);
	if (strcmp(cmd, "body") == 0)
		return cmd_body(rp, args);
	if (strcmp(cmd, "eom") == 0 || strcmp(cmd, ".") == 0)
		return cmd_eom(rp);
	if (strcmp(cmd, "macro") == 0)
		return cmd_macro(rp, args);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(rp, args);
	if (strcmp(cmd, "rset") == 0) {
		if (rp->state == ST_MESSAGE || rp->state == ST_SKIP)
			end_message(rp, ST_CONNECTED, NULL);
		return 0;
	}
	if (strcmp(cmd, "quit") == 0) {
		end_connection(rp);
		return 0;
	}
	return bad_line(rp, "unknown command \"%s\" (connect, helo, mail, rcpt, "
	    "header, body, macro, check, eom, rset, quit, wait)", cmd);
}

int
transcript_run(struct policy *p, FILE *in, const char *name, FILE *out)
{
	struct replay rp = { .policy = p, .out = out, .name = name };
	char buf[8192];
	int rc = 0;

	/* Rate windows and greylisting delays from a fixed day, so a
	 * replay's replies are the same every time: 2026-01-01 00:00 UTC,
	 * on the boundary of every minute, hour and day window. */
	limiter_set_clock(1767225600LL);
	limiter_configure(policy_settings(p)->greylist_prefix_v4,
	    policy_settings(p)->greylist_prefix_v6,
	    policy_settings(p)->greylist_auto_allow);

	while (rc == 0 && fgets(buf, sizeof(buf), in) != NULL) {
		char *line = buf;

		rp.line++;
		buf[strcspn(buf, "\r\n")] = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line == '\0' || *line == '#')
			continue;
		rc = run_line(&rp, line);
	}
	end_connection(&rp);
	fflush(out);
	return rc;
}
