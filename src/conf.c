/*
 * conf - the config file: read, check, and turn into a policy
 *
 * This file runs the load; conf_impl.h says which file builds what.  Three
 * passes:
 *   1. the reader (confread.c) gives one buffer with comments blanked and
 *      includes expanded, and a map from its lines to (file, line);
 *   2. libconfuse parses the buffer (conf_schema.c); validate callbacks
 *      record the line of each option, and our error function reports
 *      libconfuse's own errors with the file's line;
 *   3. the builders turn sections into settings, lists, rules and replies,
 *      checking each against the registry and the MTA model, then lint the
 *      rules as a whole (shadowing, rules that can never match, unused
 *      lists).
 * Here too: the one function every diagnostic goes through, and the small
 * helpers every builder uses.
 */
#include "config.h"

#include "conf_impl.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* -------------------------------------------------------------------------
 * Diagnostics and small helpers.
 */

/* conf_at - the file and line of buffer line bufline (0: the top file). */
struct conf_where
conf_at(const struct conf_loader *ld, int bufline)
{
	struct conf_where w = { NULL, 0 };

	if (ld->text != NULL)
		confread_where(ld->text, bufline > 0 ? (unsigned)bufline : 0,
		    &w.file, &w.line);
	return w;
}

/* conf_report - one diagnostic at where, counted by severity. */
void
conf_report(struct conf_loader *ld, enum registry_severity sev,
    struct conf_where where, const char *fmt, ...)
{
	char msg[CONF_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (sev == REGISTRY_ERROR)
		ld->counts.errors++;
	else if (sev == REGISTRY_WARNING)
		ld->counts.warnings++;
	ld->diag(ld->arg, sev, where.file, where.line, msg);
}

/* conf_warn_writable - a warning at where when path or its folder lets any
 * local user change the policy: the file writable by others, or the folder
 * writable by others without the sticky bit (the file can be replaced). */
void
conf_warn_writable(struct conf_loader *ld, struct conf_where where,
    const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	struct stat st;

	if (stat(path, &st) == 0 && (st.st_mode & S_IWOTH) != 0) {
		conf_report(ld, REGISTRY_WARNING, where, "%s is writable by any "
		    "user (mode %04o): anyone on this host can change the "
		    "policy; run chmod o-w %s", path,
		    (unsigned)(st.st_mode & 07777), path);
		return;
	}
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (stat(dir, &st) == 0 && (st.st_mode & S_IWOTH) != 0 &&
	    (st.st_mode & S_ISVTX) == 0)
		conf_report(ld, REGISTRY_WARNING, where, "%s is in %s, which "
		    "any user can write to (mode %04o): anyone on this host "
		    "can replace it; run chmod o-w %s", path, dir,
		    (unsigned)(st.st_mode & 07777), dir);
}

/* conf_oom - report running out of memory, once; NULL, for returning. */
void *
conf_oom(struct conf_loader *ld)
{
	if (!ld->oom)
		conf_report(ld, REGISTRY_ERROR, conf_at(ld, 0),
		    "out of memory");
	ld->oom = true;
	return NULL;
}

/* conf_strdup - a copy of s ("" for NULL), or NULL after conf_oom. */
char *
conf_strdup(struct conf_loader *ld, const char *s)
{
	char *c = strdup(s != NULL ? s : "");

	return c != NULL ? c : conf_oom(ld);
}

/* conf_did_you_mean - "; did you mean \"best\"?" into buf, or "" when best
 * is NULL; returns buf. */
const char *
conf_did_you_mean(const char *best, char *buf, size_t size)
{
	if (best == NULL)
		buf[0] = '\0';
	else
		snprintf(buf, size, "; did you mean \"%s\"?", best);
	return buf;
}

/* conf_name_ok - whether text suits a rule, list or reply id name: letters,
 * digits, '.', '_', ':' and '-'. */
bool
conf_name_ok(const char *text)
{
	if (text == NULL || *text == '\0' || strlen(text) > 64)
		return false;
	for (const char *p = text; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("._:-", *p) == NULL)
			return false;
	return true;
}

/* conf_header_name_ok - whether text[0..len) is a header field name (RFC
 * 5322 ftext). */
bool
conf_header_name_ok(const char *text, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (text[i] < 33 || text[i] > 126 || text[i] == ':')
			return false;
	return true;
}

/* conf_parse_size - "10M", "512K", "1G", "1000" into *out; 0, or -1. */
int
conf_parse_size(const char *text, unsigned long *out)
{
	char *end;
	unsigned long long n;

	errno = 0;
	if (!isdigit((unsigned char)*text))
		return -1;
	n = strtoull(text, &end, 10);
	if (errno != 0)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case 'K': n *= 1024ULL; end++; break;
	case 'M': n *= 1024ULL * 1024; end++; break;
	case 'G': n *= 1024ULL * 1024 * 1024; end++; break;
	default: break;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end != '\0' || n > ULONG_MAX)
		return -1;
	*out = (unsigned long)n;
	return 0;
}

/* -------------------------------------------------------------------------
 * The load.
 */

/* build_policy - the policy described by the parsed cfg, or NULL when out
 * of memory; problems are reported, and counted in ld. */
static struct policy *
build_policy(struct conf_loader *ld, cfg_t *cfg, const char *path)
{
	struct policy *p = calloc(1, sizeof(*p));
	unsigned nrules;

	if (p == NULL)
		return conf_oom(ld);
	atomic_init(&p->refs, 1);
	p->path = conf_strdup(ld, path);
	p->nfiles = (unsigned)confread_nfiles(ld->text);
	if ((p->files = calloc(p->nfiles + 1, sizeof(char *))) != NULL)
		for (unsigned i = 0; i < p->nfiles; i++)
			p->files[i] = conf_strdup(ld,
			    confread_file(ld->text, i));
	conf_build_settings(ld, cfg, p);
	conf_build_lists(ld, cfg, p);
	nrules = cfg_size(cfg, "rule");
	if (nrules > 0 && (p->rules = calloc(nrules, sizeof(*p->rules))) ==
	    NULL)
		conf_oom(ld);
	for (unsigned i = 0; p->rules != NULL && i < nrules; i++)
		conf_build_rule(ld, p, cfg_getnsec(cfg, "rule", i));
	conf_group_by_stage(ld, p);
	if (policy_build_gates(p) != 0 || (ld->counts.errors == 0 &&
	    policy_build_regex(p) != 0))
		conf_oom(ld);
	conf_collect_macros(ld, p);
	conf_build_checks(ld, cfg, p);
	if (ld->counts.errors == 0)
		conf_lint(ld, p);
	return p;
}

/* conf_load - the policy described by path, or NULL on any error. */
struct policy *
conf_load(const char *path, conf_diag_fn *diag, void *arg,
    struct conf_counts *counts)
{
	struct conf_loader ld = { .diag = diag, .arg = arg };
	struct confread_error rerr;
	struct policy *p = NULL;
	cfg_t *cfg = NULL;
	unsigned unclosed;
	bool in_string;

	if ((ld.text = confread_open(path, &rerr)) == NULL) {
		conf_report(&ld, REGISTRY_ERROR, (struct conf_where){ rerr.file,
		    rerr.line }, "%s", rerr.message);
		goto out;
	}
	for (size_t i = 0; i < confread_nfiles(ld.text); i++)
		conf_warn_writable(&ld, (struct conf_where){
		    confread_file(ld.text, i), 0 }, confread_file(ld.text, i));
	if ((unclosed = confread_unclosed(ld.text, &in_string)) != 0) {
		/* libconfuse would take the end of the file for the '}'. */
		conf_report(&ld, REGISTRY_ERROR, conf_at(&ld, (int)unclosed),
		    "%s", in_string ? "this quoted string is never closed: the "
		    "file ends inside it" : "this section's '{' is never "
		    "closed: the file ends first (cut short?)");
		goto out;
	}
	if ((cfg = conf_schema_parse(&ld)) != NULL)
		p = build_policy(&ld, cfg, path);
out:
	conf_schema_free(&ld, cfg);
	confread_free(ld.text);
	if (counts != NULL)
		*counts = ld.counts;
	if (ld.counts.errors > 0) {
		policy_free(p);
		return NULL;
	}
	return p;
}

/* conf_print_diag - a conf_diag_fn printing "file:line: severity: message"
 * to the FILE * in arg. */
void
conf_print_diag(void *arg, enum registry_severity severity, const char *file,
    unsigned line, const char *message)
{
	FILE *out = arg;

	if (severity == REGISTRY_OK)
		return;
	if (file != NULL && line > 0)
		fprintf(out, "%s:%u: %s: %s\n", file, line,
		    registry_severity_name(severity), message);
	else if (file != NULL)
		fprintf(out, "%s: %s: %s\n", file,
		    registry_severity_name(severity), message);
	else
		fprintf(out, "%s: %s\n", registry_severity_name(severity),
		    message);
}
