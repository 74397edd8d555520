/*
 * conf_settings - the global settings and the built-in checks' settings
 *
 * The root section's options, checked and turned into the policy's
 * settings (struct policy_settings) and the checks' config (struct
 * checks_config): the socket, user, logging, the failure reply, the
 * resolver, trusted verifiers, DNSBL zones, spool and size thresholds.
 * Integer options are described by one table, int_options[]: default and
 * range in one row, which the schema takes its defaults from and which
 * setting_int() checks against, so every range message reads alike.
 */
#include "config.h"

#include "conf_impl.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics_http.h"
#include "store.h"

/* The integer options: the schema's defaults and setting_int()'s ranges.
 * The unit names what the numbers count in the message, "timeout 0: give
 * seconds from 1 to 3600". */
const struct conf_int_option conf_int_options[] = {
	/* name			default	min	max		unit */
	{ "timeout",		30,	1,	3600,		"seconds" },
	{ "body_limit",		65536,	0,	64L * 1024 * 1024, "bytes" },
	{ "header_limit",	256L * 1024, 1024, 64L * 1024 * 1024, "bytes" },
	{ "header_count_limit",	1000,	1,	100000,		"headers" },
	{ "dns_timeout",	5,	1,	60,		"seconds" },
	{ "dns_tries",		2,	1,	5,		NULL },
	{ "dns_budget",		20,	1,	600,		"seconds" },
	{ "spool_min_inodes",	1000,	0,	INT_MAX,	"inodes" },
	{ "ratelimit_timeout",	200,	10,	10000,		"milliseconds" },
	{ "ratelimit_max_keys",	100000,	100,	100000000,	"keys" },
	{ "greylist_prefix_v4",	24,	8,	32,		"bits" },
	{ "greylist_prefix_v6",	64,	16,	128,		"bits" },
	{ "greylist_auto_allow", 5,	0,	1000,		"passes" },
	{ NULL,			0,	0,	0,		NULL },
};

/* root_at - where the root's option name was set. */
static struct conf_where
root_at(struct conf_loader *ld, cfg_t *cfg, const char *name)
{
	return conf_at(ld, conf_opt_line(ld, cfg, name, 0));
}

/* setting_int - the integer option name of cfg, checked against its row
 * of the table: when out of range, an error and the nearest bound, so that
 * what is built from it stays sane.  A name with no row is a programmer
 * error. */
static long
setting_int(struct conf_loader *ld, cfg_t *cfg, const char *name)
{
	const struct conf_int_option *o = conf_int_options;
	struct conf_where at;
	long n;

	while (o->name != NULL && strcmp(o->name, name) != 0)
		o++;
	if (o->name == NULL)
		fatalx("%s: no integer option %s", __func__, name);
	n = cfg_getint(cfg, name);
	if (n >= o->min && n <= o->max)
		return n;
	at = root_at(ld, cfg, name);
	if (o->unit != NULL)
		conf_report(ld, REGISTRY_ERROR, at, "%s %ld: give %s from %ld "
		    "to %ld", name, n, o->unit, o->min, o->max);
	else
		conf_report(ld, REGISTRY_ERROR, at, "%s %ld: give %ld to %ld",
		    name, n, o->min, o->max);
	return n < o->min ? o->min : o->max;
}

/* -------------------------------------------------------------------------
 * Global settings.
 */

/* socket_ok - whether spec is a milter socket libmilter understands. */
static bool
socket_ok(const char *spec)
{
	const char *at;

	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0)
		return strchr(spec, '/') != NULL;
	if (spec[0] == '/')
		return true;
	if (strncmp(spec, "inet:", 5) == 0 || strncmp(spec, "inet6:", 6) == 0) {
		const char *port = strchr(spec, ':') + 1;
		char *end;
		long n = strtol(port, &end, 10);

		at = strchr(port, '@');
		return n > 0 && n < 65536 && (*end == '\0' || end == at);
	}
	return false;
}

/* build_setting_reply - the reply setting name (text at line) as a reply
 * with a basic code, an enhanced code and a text, validated like a rule's;
 * NULL after reporting.  example is a good value, for the message. */
static struct reply *
build_setting_reply(struct conf_loader *ld, const char *name,
    const char *spec, int line, const char *example)
{
	struct registry_verdict v;
	struct reply *r;
	char err[256];

	if ((r = reply_parse(&spec, 1, err, sizeof(err))) == NULL) {
		conf_report(ld, REGISTRY_ERROR, conf_at(ld, line),
		    "%s: %s", name, err);
		return NULL;
	}
	if (reply_basic(r) == 0 || reply_xcode(r) == NULL ||
	    reply_nlines(r) == 0) {
		conf_report(ld, REGISTRY_ERROR, conf_at(ld, line),
		    "%s: give a basic code, an enhanced code and a text, e.g. "
		    "\"%s\"", name, example);
		reply_free(r);
		return NULL;
	}
	if (registry_validate(reply_basic(r), reply_xcode(r),
	    REGISTRY_STAGE_ANY, 0, &v) != REGISTRY_OK) {
		const struct registry_finding *f = registry_verdict_worst(&v);
		char x[16];

		conf_report(ld, v.severity, conf_at(ld, line), "%s: %u %s: %s",
		    name, reply_basic(r), registry_format_xcode(reply_xcode(r),
		    x, sizeof(x)), f->text);
		if (v.severity == REGISTRY_ERROR) {
			reply_free(r);
			return NULL;
		}
	}
	return r;
}

/* build_failure_reply - the on_failure setting as a reply. */
static struct reply *
build_failure_reply(struct conf_loader *ld, const char *text, int line)
{
	const char *spec = text;

	if (strcmp(text, "tempfail") == 0)
		spec = POLICY_DEFAULT_FAILURE;
	else if (strcmp(text, "reject") == 0)
		spec = "554 5.3.0 Local problem, message refused";
	else if (strcmp(text, "accept") == 0 || strcmp(text, "discard") == 0) {
		conf_report(ld, REGISTRY_ERROR, conf_at(ld, line), "on_failure "
		    "= %s: an internal failure must never let mail through "
		    "unchecked or lose it; use tempfail (the default) or a 4xx "
		    "reply", text);
		return NULL;
	}
	return build_setting_reply(ld, "on_failure", spec, line,
	    POLICY_DEFAULT_FAILURE);
}

/* conf_build_settings - p's global settings from the root section. */
void
conf_build_settings(struct conf_loader *ld, cfg_t *cfg, struct policy *p)
{
	struct policy_settings *s = &p->settings;
	const char *text;
	char *end;
	long n;

	text = cfg_getstr(cfg, "socket");
	if (!socket_ok(text))
		conf_report(ld, REGISTRY_ERROR, root_at(ld, cfg, "socket"),
		    "socket \"%s\": write unix:/path/to/socket, inet:PORT@HOST "
		    "or inet6:PORT@HOST", text);
	s->socket = conf_strdup(ld, text);

	text = cfg_getstr(cfg, "socket_mode");
	n = strtol(text, &end, 8);
	if (*text == '\0' || *end != '\0' || n < 0 || n > 0777)
		conf_report(ld, REGISTRY_ERROR, root_at(ld, cfg, "socket_mode"),
		    "socket_mode \"%s\": write an octal mode such as \"0660\"",
		    text);
	s->socket_mode = (unsigned)n;

	if ((text = cfg_getstr(cfg, "user")) != NULL) {
		const char *colon = strchr(text, ':');

		if (*text == '\0' || colon == text || (colon != NULL &&
		    colon[1] == '\0'))
			conf_report(ld, REGISTRY_ERROR,
			    root_at(ld, cfg, "user"), "user \"%s\": write USER "
			    "or USER:GROUP", text);
		s->user = conf_strdup(ld, text);
		if (s->user != NULL && (end = strchr(s->user, ':')) != NULL) {
			*end = '\0';
			s->group = conf_strdup(ld, end + 1);
		}
	}
	s->pidfile = conf_strdup(ld, cfg_getstr(cfg, "pidfile"));

	text = cfg_getstr(cfg, "syslog_facility");
	if (log_facility_parse(text, &s->syslog_facility) != 0)
		conf_report(ld, REGISTRY_ERROR,
		    root_at(ld, cfg, "syslog_facility"), "syslog_facility "
		    "\"%s\": use mail, daemon, user or local0 to local7", text);
	text = cfg_getstr(cfg, "log_level");
	if (log_level_parse(text, &s->log_level) != 0)
		conf_report(ld, REGISTRY_ERROR, root_at(ld, cfg, "log_level"),
		    "log_level \"%s\": use error, warning, notice, info or "
		    "debug", text);
	text = cfg_getstr(cfg, "log_format");
	if (log_format_parse(text, &s->log_format) != 0)
		conf_report(ld, REGISTRY_ERROR, root_at(ld, cfg, "log_format"),
		    "log_format \"%s\": use text or json", text);

	s->failure_reply = build_failure_reply(ld, cfg_getstr(cfg,
	    "on_failure"), conf_opt_line(ld, cfg, "on_failure", 0));

	s->timeout = (int)setting_int(ld, cfg, "timeout");

	text = cfg_getstr(cfg, "disclose");
	if (strcmp(text, "specific") == 0)
		s->disclose = POLICY_DISCLOSE_SPECIFIC;
	else if (strcmp(text, "generic") == 0)
		s->disclose = POLICY_DISCLOSE_GENERIC;
	else
		conf_report(ld, REGISTRY_ERROR, root_at(ld, cfg, "disclose"),
		    "disclose \"%s\": use specific or generic", text);
	s->soft_bounce = cfg_getbool(cfg, "soft_bounce");
	s->reply_id = cfg_getbool(cfg, "reply_id");

	text = cfg_getstr(cfg, "dry_run_header");
	if (!conf_header_name_ok(text, strlen(text)))
		conf_report(ld, REGISTRY_ERROR,
		    root_at(ld, cfg, "dry_run_header"), "dry_run_header \"%s\" "
		    "is not a header name", text);
	s->dry_run_header = conf_strdup(ld, text);

	text = cfg_getstr(cfg, "ratelimit_store");
	{
		char why[200];

		if (store_url_check(text, why, sizeof(why)) != 0)
			conf_report(ld, REGISTRY_ERROR,
			    root_at(ld, cfg, "ratelimit_store"),
			    "ratelimit_store \"%s\": %s", text, why);
	}
	s->ratelimit_store = conf_strdup(ld, text);
	text = cfg_getstr(cfg, "ratelimit_on_error");
	if (strcmp(text, "tempfail") == 0)
		s->ratelimit_tempfail = true;
	else if (strcmp(text, "local") != 0)
		conf_report(ld, REGISTRY_ERROR,
		    root_at(ld, cfg, "ratelimit_on_error"),
		    "ratelimit_on_error \"%s\": use tempfail (answer "
		    "on_failure) or local (count in this process)", text);
	s->ratelimit_timeout_ms = (unsigned)setting_int(ld, cfg,
	    "ratelimit_timeout");
	s->ratelimit_max_keys = (size_t)setting_int(ld, cfg,
	    "ratelimit_max_keys");
	s->greylist_prefix_v4 = (unsigned)setting_int(ld, cfg,
	    "greylist_prefix_v4");
	s->greylist_prefix_v6 = (unsigned)setting_int(ld, cfg,
	    "greylist_prefix_v6");
	s->greylist_auto_allow = (unsigned)setting_int(ld, cfg,
	    "greylist_auto_allow");

	text = cfg_getstr(cfg, "metrics_listen");
	if (*text != '\0') {
		char why[160];

		if (metrics_listen_check(text, cfg_getbool(cfg,
		    "metrics_allow_remote"), why, sizeof(why)) != 0)
			conf_report(ld, REGISTRY_ERROR,
			    root_at(ld, cfg, "metrics_listen"),
			    "metrics_listen \"%s\": %s", text, why);
	}
	s->metrics_listen = conf_strdup(ld, text);
	s->metrics_allow_remote = cfg_getbool(cfg, "metrics_allow_remote");

	s->body_limit = (size_t)setting_int(ld, cfg, "body_limit");
	s->header_limit = (size_t)setting_int(ld, cfg, "header_limit");
	s->header_count_limit = (unsigned)setting_int(ld, cfg,
	    "header_count_limit");
	s->header_limit_reply = build_setting_reply(ld, "header_limit_reply",
	    cfg_getstr(cfg, "header_limit_reply"), conf_opt_line(ld, cfg,
	    "header_limit_reply", 0), POLICY_DEFAULT_HEADER_LIMIT_REPLY);

	s->nprivate = cfg_size(cfg, "private_codes");
	if (s->nprivate > 0 && (s->private_codes = calloc(s->nprivate,
	    sizeof(*s->private_codes))) == NULL) {
		conf_oom(ld);
		s->nprivate = 0;
	}
	for (unsigned i = 0; i < s->nprivate; i++) {
		const char *code = cfg_getnstr(cfg, "private_codes", i);
		int line = conf_opt_line(ld, cfg, "private_codes", 0);
		struct registry_xcode *x = &s->private_codes[i];

		if (registry_parse_xcode(code, x) != 0)
			conf_report(ld, REGISTRY_ERROR, conf_at(ld, line),
			    "private_codes: \"%s\" is not an enhanced status "
			    "code", code);
		else if (registry_enhanced_lookup(x->subject, x->detail))
			conf_report(ld, REGISTRY_WARNING, conf_at(ld, line),
			    "private_codes: X.%u.%u is in the registry; it "
			    "needs no private declaration", x->subject,
			    x->detail);
	}
}

/* -------------------------------------------------------------------------
 * The built-in checks' settings.
 */

/* cond_checks - the bit set of check ids the tree c reads. */
static unsigned
cond_checks(const struct cond *c)
{
	unsigned mask = 0;

	for (unsigned i = 0; i < c->nchildren; i++)
		mask |= cond_checks(c->children[i]);
	if (c->type == COND_MATCH && c->field == COND_CHECK)
		mask |= 1u << c->check;
	return mask;
}

/* first_check_line - the line of the first rule reading check id. */
static int
first_check_line(const struct policy *p, enum check_id id)
{
	for (unsigned i = 0; i < p->nrules; i++)
		if (p->rules[i]->cond != NULL &&
		    (cond_checks(p->rules[i]->cond) & (1u << id)))
			return (int)p->rules[i]->line;
	return 0;
}

/* build_dnsbl - the dnsbl sections as zones. */
static void
build_dnsbl(struct conf_loader *ld, cfg_t *cfg, struct checks_config *c)
{
	unsigned n = cfg_size(cfg, "dnsbl");

	if (n > 0 && (c->zones = calloc(n, sizeof(*c->zones))) == NULL) {
		conf_oom(ld);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		cfg_t *sec = cfg_getnsec(cfg, "dnsbl", i);
		const char *zone = cfg_getstr(sec, "zone");
		int line = (int)confread_section_line(ld->text, "dnsbl",
		    cfg_title(sec));
		struct dnsbl_zone *z = &c->zones[c->nzones];

		if (zone == NULL)
			zone = cfg_title(sec);
		if ((z->zone = strdup(zone)) == NULL) {
			conf_oom(ld);
			return;
		}
		c->nzones++;
		for (unsigned k = 0; k < cfg_size(sec, "returns"); k++) {
			const char *code = cfg_getnstr(sec, "returns", k);

			if (z->ncodes == DNSBL_MAX_CODES || inet_pton(AF_INET,
			    code, &z->codes[z->ncodes]) != 1) {
				conf_report(ld, REGISTRY_ERROR, conf_at(ld,
				    conf_opt_line(ld, sec, "returns", line)),
				    "dnsbl \"%s\": returns \"%s\": give up to "
				    "%d IPv4 answers such as 127.0.0.2",
				    cfg_title(sec), code, DNSBL_MAX_CODES);
				continue;
			}
			z->ncodes++;
		}
	}
}

/* conf_build_checks - p's checks' settings, and which checks its rules read
 * (after the rules are built). */
void
conf_build_checks(struct conf_loader *ld, cfg_t *cfg, struct policy *p)
{
	struct checks_config *c = calloc(1, sizeof(*c));
	const char *server = cfg_getstr(cfg, "dns_server"), *text;
	long timeout, tries;
	unsigned long size;
	char err[256];

	if ((p->checks = c) == NULL) {
		conf_oom(ld);
		return;
	}
	for (unsigned i = 0; i < p->nrules; i++)
		if (p->rules[i]->cond != NULL)
			c->needed |= cond_checks(p->rules[i]->cond);
	c->received_spf = cfg_getbool(cfg, "add_received_spf");
	c->authentication_results = cfg_getbool(cfg,
	    "add_authentication_results");
	text = cfg_getstr(cfg, "strip_authres");
	if (strcmp(text, "auto") == 0)
		c->strip_authres = c->authentication_results;
	else if (strcmp(text, "yes") == 0)
		c->strip_authres = true;
	else if (strcmp(text, "no") != 0)
		conf_report(ld, REGISTRY_ERROR, root_at(ld, cfg,
		    "strip_authres"), "strip_authres \"%s\": use auto (yes when "
		    "add_authentication_results is on), yes or no", text);
	if (c->received_spf || c->authentication_results)
		c->needed |= 1u << CHECK_SPF;
	if (c->authentication_results)
		c->needed |= 1u << CHECK_IPREV;
	if (c->needed & (1u << CHECK_AUTH_MULTI))
		c->needed |= (1u << CHECK_SPF) | (1u << CHECK_IPREV) |
		    (1u << CHECK_DKIM);
	timeout = setting_int(ld, cfg, "dns_timeout");
	tries = setting_int(ld, cfg, "dns_tries");
	c->dns_budget_ms = (unsigned)setting_int(ld, cfg, "dns_budget") * 1000u;
	/* contrib/postfix/main.cf and contrib/sendmail/replymilter.mc give
	 * the milter 30 s a command: a stage that waits longer for DNS is
	 * cut off by the MTA (milter_default_action), not by replymilter. */
	if (c->dns_budget_ms >= 30000u)
		conf_report(ld, REGISTRY_WARNING, root_at(ld, cfg,
		    "dns_budget"), "dns_budget %u: the shipped Postfix and "
		    "Sendmail settings give a milter 30 seconds a command; "
		    "keep it under that (default 20)", c->dns_budget_ms / 1000);
	if (timeout * tries * 1000 > (long)c->dns_budget_ms)
		conf_report(ld, REGISTRY_WARNING, root_at(ld, cfg,
		    "dns_timeout"), "dns_timeout %ld x dns_tries %ld is more "
		    "than dns_budget %u: one slow query can spend a stage's "
		    "whole budget", timeout, tries, c->dns_budget_ms / 1000);
	if ((c->dns = dns_new(server, (unsigned)timeout * 1000u,
	    (unsigned)tries, err, sizeof(err))) == NULL)
		conf_report(ld, REGISTRY_ERROR, root_at(ld, cfg, "dns_server"),
		    "dns_server \"%s\": %s", server, err);
	if ((text = cfg_getstr(cfg, "authserv_id")) != NULL) {
		c->authserv_id = conf_strdup(ld, text);
	} else {
		char host[256] = "localhost";

		(void)gethostname(host, sizeof(host) - 1);
		c->authserv_id = conf_strdup(ld, host);
	}
	c->ntrusted = cfg_size(cfg, "trusted_authserv_ids");
	if (c->ntrusted > 0 && (c->trusted = calloc(c->ntrusted,
	    sizeof(char *))) == NULL) {
		c->ntrusted = 0;
		conf_oom(ld);
	}
	for (unsigned i = 0; i < c->ntrusted; i++)
		c->trusted[i] = conf_strdup(ld, cfg_getnstr(cfg,
		    "trusted_authserv_ids", i));
	build_dnsbl(ld, cfg, c);
	if ((text = cfg_getstr(cfg, "spool_path")) != NULL) {
		const char *free_text = cfg_getstr(cfg, "spool_min_free");
		unsigned long min_free = 0;
		long min_inodes = setting_int(ld, cfg, "spool_min_inodes");

		if (conf_parse_size(free_text, &min_free) != 0)
			conf_report(ld, REGISTRY_ERROR,
			    root_at(ld, cfg, "spool_min_free"),
			    "spool_min_free \"%s\": give a size such as "
			    "\"100M\"", free_text);
		if ((c->storage = storage_new(text, min_free,
		    (unsigned long long)min_inodes)) == NULL)
			conf_oom(ld);
	}
	text = cfg_getstr(cfg, "message_size_limit");
	if (conf_parse_size(text, &size) != 0)
		conf_report(ld, REGISTRY_ERROR,
		    root_at(ld, cfg, "message_size_limit"),
		    "message_size_limit \"%s\": give a size such as \"50M\", "
		    "or 0 for none", text);
	else
		c->size_limit = size;
	/* A check with nothing to work on is a mistake, not a quiet "never". */
	if ((c->needed & (1u << CHECK_DNSBL)) && c->nzones == 0)
		conf_report(ld, REGISTRY_ERROR,
		    conf_at(ld, first_check_line(p, CHECK_DNSBL)), "check "
		    "dnsbl needs zones: add a dnsbl \"NAME\" { zone = "
		    "\"bl.example.org\" } section");
	if ((c->needed & (1u << CHECK_STORAGE)) && c->storage == NULL)
		conf_report(ld, REGISTRY_ERROR,
		    conf_at(ld, first_check_line(p, CHECK_STORAGE)), "check "
		    "storage needs spool_path, e.g. spool_path = "
		    "\"/var/spool/postfix\"");
	if ((c->needed & (1u << CHECK_SIZE)) && c->size_limit == 0)
		conf_report(ld, REGISTRY_ERROR,
		    conf_at(ld, first_check_line(p, CHECK_SIZE)), "check size "
		    "needs message_size_limit, e.g. message_size_limit = "
		    "\"50M\"");
	if (((c->needed >> CHECK_DKIM) & 1u) + ((c->needed >> CHECK_DMARC) &
	    1u) + ((c->needed >> CHECK_ARC) & 1u) +
	    ((c->needed >> CHECK_DKIM_AUTHOR) & 1u) > 0 && c->ntrusted == 0)
		conf_report(ld, REGISTRY_WARNING, conf_at(ld, 0), "DKIM, DMARC "
		    "and ARC results come from Authentication-Results headers "
		    "of trusted verifiers, and trusted_authserv_ids names "
		    "none: those results stay unknown (--test can stand in for "
		    "them)");
	if (c->needed & (1u << CHECK_TLS))
		conf_add_macro(ld, p, "{tls_version}");
	if (c->needed & (1u << CHECK_AUTH))
		conf_add_macro(ld, p, "{auth_authen}");
}
