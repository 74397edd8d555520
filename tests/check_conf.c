/*
 * check_conf - unit tests of the config loader: the grammar and every
 * load-time diagnostic
 *
 * Table-driven: each row is a config (and the files it includes or reads),
 * the severity of the diagnostic it must give, a text of its message, and
 * the file and line it must be reported at.  Most configs put comments of
 * each kind before the faulty line, so the line numbers are pinned against
 * libconfuse's drift after comments and includes.  A row that wants an
 * error also wants conf_load() to return NULL; a row that wants a warning
 * wants a policy all the same; a row that wants REGISTRY_OK wants no
 * diagnostic at all.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "conf.h"
/* The policy as built, white-box: this is the loader's own test. */
#include "policy_impl.h"

#define DIAG_MAX 48
#define DIAG_TEXT 1200
#define EXTRA_FILES 3
#define ANY_LINE UINT_MAX	/* a row that does not pin the line */

/* One diagnostic as conf_load() reported it. */
struct diag {
	enum registry_severity sev;
	char file[PATH_MAX];	/* "" when NULL */
	unsigned line;
	char msg[DIAG_TEXT];
};

/* Every diagnostic of one load. */
struct diags {
	unsigned n;
	struct diag d[DIAG_MAX];
	struct conf_counts counts;
};

/* A folder of config files written for one case. */
struct fixture {
	char dir[64];
	unsigned nfiles;
	char files[EXTRA_FILES + 2][PATH_MAX];
	char subdir[PATH_MAX];	/* "" when none was made */
};

/* diag_note - nothing; a conf_diag_fn recording into the diags arg. */
static void
diag_note(void *arg, enum registry_severity sev, const char *file,
    unsigned line, const char *message)
{
	struct diags *d = arg;

	ck_assert_ptr_nonnull(message);
	if (d->n < DIAG_MAX) {
		struct diag *x = &d->d[d->n];

		x->sev = sev;
		snprintf(x->file, sizeof(x->file), "%s", file != NULL ? file :
		    "");
		x->line = line;
		snprintf(x->msg, sizeof(x->msg), "%s", message);
	}
	d->n++;
}

/* diags_text - every diagnostic, one a line, for failure messages. */
static const char *
diags_text(const struct diags *d)
{
	static char buf[DIAG_MAX * 256];
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < d->n && i < DIAG_MAX && used < sizeof(buf);
	    i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used,
		    "\n  [%s] %s:%u: %.200s", registry_severity_name(d->d[i].sev),
		    d->d[i].file, d->d[i].line, d->d[i].msg);
	return d->n == 0 ? " (none)" : buf;
}

/* fixture_write - write text as name (which may be "sub/x.conf") in the
 * fixture's folder; the full path, in f. */
static const char *
fixture_write(struct fixture *f, const char *name, const char *text)
{
	char *path = f->files[f->nfiles], full[PATH_MAX];
	const char *slash = strchr(name, '/');
	FILE *fp;

	ck_assert_uint_lt(f->nfiles, NELEM(f->files));
	if (slash != NULL && f->subdir[0] == '\0') {
		snprintf(f->subdir, sizeof(f->subdir), "%s/%.*s", f->dir,
		    (int)(slash - name), name);
		ck_assert_msg(mkdir(f->subdir, 0700) == 0, "mkdir %s: %s",
		    f->subdir, strerror(errno));
	}
	/* Through a local buffer: gcc cannot tell f->dir from f->files. */
	snprintf(full, sizeof(full), "%s/%s", f->dir, name);
	memcpy(path, full, sizeof(full));
	fp = fopen(path, "w");
	ck_assert_msg(fp != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fputs(text, fp) >= 0, 1);
	ck_assert_int_eq(fclose(fp), 0);
	f->nfiles++;
	return path;
}

/* fixture_new - an empty folder for a case's files. */
static void
fixture_new(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/check_conf.XXXXXX");
	ck_assert_msg(mkdtemp(f->dir) != NULL, "mkdtemp: %s", strerror(errno));
}

/* fixture_free - remove the case's files and folders. */
static void
fixture_free(struct fixture *f)
{
	for (unsigned i = 0; i < f->nfiles; i++)
		(void)unlink(f->files[i]);
	if (f->subdir[0] != '\0')
		(void)rmdir(f->subdir);
	(void)rmdir(f->dir);
}

/* load_text - conf_load() of text written to a temporary file. */
static struct policy *
load_text(const char *text, struct diags *d)
{
	struct fixture f;
	struct policy *p;

	fixture_new(&f);
	memset(d, 0, sizeof(*d));
	p = conf_load(fixture_write(&f, "main.conf", text), diag_note, d,
	    &d->counts);
	fixture_free(&f);
	return p;
}

/* ends_with - whether s ends with suffix. */
static int
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* An extra file of a case: its name in the folder and its text. */
struct extra {
	const char *name;
	const char *text;
};

/*
 * One row.  text is main.conf; extra files sit beside it.  want is the
 * severity that must be reported (REGISTRY_OK: nothing at all), with text
 * in its message, at line in file (a suffix of the reported path; NULL
 * means main.conf).
 */
static const struct conf_case {
	const char *label;
	const char *text;
	struct extra extra[EXTRA_FILES];
	enum registry_severity want;
	const char *msg;
	unsigned line;
	const char *file;
} conf_cases[] = {
	/* --- Line numbers after comments and through includes ------------ */
	{ "line after # comments",
	    "# one\n"
	    "# two\n"
	    "# three\n"
	    "rule \"a\" {\n"
	    "\tstage = rcpt\t# a trailing comment\n"
	    "\t# inside\n"
	    "\treply = \"550 4.7.1 no\"\n"
	    "}\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "rule \"a\": 550 4.7.1: class 4 does not match reply 550; did you "
	    "mean 450 4.7.1 or 550 5.7.1?", 7, NULL },
	{ "line after // comments",
	    "// one\n"
	    "// two\n"
	    "rule \"a\" {\t// trailing\n"
	    "\t// inside\n"
	    "\t// inside again\n"
	    "\tstage = rcpt\n"
	    "\treply = \"550 4.7.1 no\"\n"
	    "}\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "class 4 does not match reply 550", 7, NULL },
	{ "line after /* */ comments",
	    "/* one\n"
	    " * two\n"
	    " * three */\n"
	    "/* four */ /* five */\n"
	    "rule \"a\" { /* six\n"
	    " seven */\n"
	    "\tstage = rcpt /* eight */\n"
	    "\treply = \"550 4.7.1 no\"\n"
	    "}\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "class 4 does not match reply 550", 8, NULL },
	{ "line after every kind",
	    "# hash\n"
	    "// slashes\n"
	    "/* block\n"
	    "   block */\n"
	    "socket_mode = \"0660\" # trailing\n"
	    "\n"
	    "timeout = 0 // trailing\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "timeout 0: give seconds from 1 to 3600", 7, NULL },
	{ "comment marks inside strings are text",
	    "# a comment\n"
	    "rule \"a\" {\n"
	    "\tstage = rcpt\n"
	    "\treply = \"550 5.7.1 see http://example.org/#a /* b */\"\n"
	    "}\n"
	    "# another\n"
	    "rule \"b\" {\n"
	    "\tstage = mail\n"
	    "\treply = \"451 5.7.1 x\"\n"
	    "}\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "rule \"b\": 451 5.7.1: class 5 does not match reply 451", 9,
	    NULL },
	{ "line in an included file",
	    "# the main file\n"
	    "include \"sub/inc.conf\"\n"
	    "# after the include\n", {
	    { "sub/inc.conf",
	    "# included\n"
	    "\n"
	    "rule \"b\" {\n"
	    "\tstage = rcpt # x\n"
	    "\treply = \"550 4.7.1 x\"\n"
	    "}\n" } }, REGISTRY_ERROR, "rule \"b\": 550 4.7.1", 5,
	    "/sub/inc.conf" },
	{ "line after an include",
	    "# the main file\n"
	    "// more\n"
	    "include \"inc.conf\"\n"
	    "rule \"c\" {\n"
	    "\tstage = rcpt\n"
	    "\treply = \"451 5.7.1 x\"\n"
	    "}\n", {
	    { "inc.conf",
	    "# one\n"
	    "# two\n"
	    "list \"l\" {\n"
	    "\ttype = domain\n"
	    "\tentries = { \"example.com\" }\n"
	    "}\n"
	    "rule \"uses-l\" {\n"
	    "\tstage = mail\n"
	    "\tsender_domain = \"list:l\"\n"
	    "\taction = reject\n"
	    "}\n" } }, REGISTRY_ERROR, "rule \"c\": 451 5.7.1", 6, NULL },
	{ "include(\"file\") form",
	    "include(\"inc.conf\")\n"
	    "timeout = 0\n", {
	    { "inc.conf", "# nothing but a comment\n" } }, REGISTRY_ERROR,
	    "timeout 0", 2, NULL },
	{ "include relative to the including file",
	    "include \"sub/a.conf\"\n", {
	    { "sub/a.conf", "# a\ninclude \"b.conf\"\n" },
	    { "sub/b.conf", "# b\n/* b */\ntimeout = 0\n" } },
	    REGISTRY_ERROR, "timeout 0", 3, "/sub/b.conf" },
	{ "options set in an include are checked",
	    "include \"inc.conf\"\n", {
	    { "inc.conf", "\n\nsocket = \"tcp:25\"\n" } }, REGISTRY_ERROR,
	    "socket \"tcp:25\": write unix:/path/to/socket", 3, "/inc.conf" },
	/* Include problems come at the including file and line. */
	{ "include loop at its file and line",
	    "# main\n"
	    "include \"loop.conf\"\n", {
	    { "loop.conf", "include \"main.conf\"\n" } }, REGISTRY_ERROR,
	    "include loop", 1, "/loop.conf" },
	{ "missing include at its file and line",
	    "# main\n"
	    "\n"
	    "include \"nope.conf\"\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "cannot read included file", 3, NULL },
	{ "include loop names the files",
	    "include \"loop.conf\"\n", {
	    { "loop.conf", "\ninclude \"main.conf\"\n" } }, REGISTRY_ERROR,
	    "include loop: ", 2, "/loop.conf" },
	{ "self include",
	    "include \"main.conf\"\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "include loop", ANY_LINE, "" },

	/* --- libconfuse's own errors ------------------------------------- */
	{ "unknown option: did you mean",
	    "# a comment\n"
	    "socket_mod = \"0660\"\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "no such option 'socket_mod'; did you mean 'socket_mode'?", 2,
	    NULL },
	{ "unknown rule option: did you mean",
	    "# a\n"
	    "# b\n"
	    "rule \"a\" {\n"
	    "\tstage = rcpt\n"
	    "\trcpt_cont = \"> 5\"\n"
	    "\taction = reject\n"
	    "}\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "no such option 'rcpt_cont'; did you mean 'rcpt_count'?", 5,
	    NULL },
	{ "unknown nested option: did you mean",
	    "rule \"a\" {\n"
	    "\tstage = mail\n"
	    "\tany {\n"
	    "\t\t// x\n"
	    "\t\tsendr = \"a@example.com\"\n"
	    "\t}\n"
	    "\taction = reject\n"
	    "}\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "no such option 'sendr'; did you mean 'sender'?", 5, NULL },
	{ "unknown option far from any",
	    "frobnicate = 1\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "no such option 'frobnicate'", 1, NULL },
	{ "missing equal sign",
	    "# a\n# b\nrule \"a\" {\n\tstage rcpt\n\taction = reject\n}\n",
	    { { NULL, NULL } }, REGISTRY_ERROR,
	    "missing equal sign after option 'stage'", 4, NULL },
	{ "bad integer",
	    "// x\ntimeout = abc\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "invalid integer value for option 'timeout'", 2, NULL },
	{ "bad boolean",
	    "soft_bounce = maybe\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "invalid boolean value for option 'soft_bounce'", 1, NULL },
	{ "duplicate rule",
	    "rule \"a\" {\n\tstage = rcpt\n\taction = reject\n}\n"
	    "# again\n"
	    "rule \"a\" {\n\tstage = rcpt\n\taction = reject\n}\n",
	    { { NULL, NULL } }, REGISTRY_ERROR, "duplicate title 'a'", 6,
	    NULL },
	{ "unterminated string",
	    "# a\n# b\nrule \"a\" {\n\tstage = rcpt\n"
	    "\treply = \"550 5.7.1 x\n}\n", { { NULL, NULL } },
	    REGISTRY_ERROR, "this quoted string is never closed", 5, NULL },
	/* libconfuse takes the end of the file for a '}': not us. */
	{ "unclosed section is an error",
	    "rule \"a\" {\n"
	    "\tstage = connect\n"
	    "\taction = reject\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "this section's '{' is never closed", 1, NULL },
	/* --- Names of stages, actions, lists, macros, checks ------------- */
	{ "unknown stage",
	    "# x\nrule \"a\" {\n\tstage = rcp\n\taction = reject\n}\n",
	    { { NULL, NULL } }, REGISTRY_ERROR,
	    "rule \"a\": unknown stage \"rcp\"; did you mean \"rcpt\"? (stages: "
	    "connect, helo, mail, rcpt, header, eoh, body, eom)", 3, NULL },
	{ "no stage",
	    "rule \"a\" {\n\taction = reject\n}\n", { { NULL, NULL } },
	    REGISTRY_ERROR, "rule \"a\": give its stage: one of connect", 1,
	    NULL },
	{ "unknown action",
	    "rule \"a\" {\n\tstage = rcpt\n\t# x\n\taction = rejet\n}\n",
	    { { NULL, NULL } }, REGISTRY_ERROR,
	    "unknown action \"rejet\"; did you mean \"reject\"?", 4, NULL },
	{ "no action, no reply",
	    "# x\nrule \"a\" {\n\tstage = rcpt\n}\n", { { NULL, NULL } },
	    REGISTRY_ERROR, "rule \"a\" does nothing: give an action", 2,
	    NULL },
	{ "unknown list",
	    "list \"bad-senders\" {\n\ttype = domain\n"
	    "\tentries = { \"example.com\" }\n}\n"
	    "rule \"a\" {\n\tstage = rcpt\n"
	    "\trcpt_domain = \"list:bad-sendrs\"\n\taction = reject\n}\n",
	    { { NULL, NULL } }, REGISTRY_ERROR,
	    "rcpt_domain: unknown list \"bad-sendrs\"; did you mean "
	    "\"bad-senders\"?", 7, NULL },
	{ "unknown macro",
	    "rule \"a\" {\n\tstage = rcpt\n\tmacro = \"{auth_authn}\"\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "unknown macro \"{auth_authn}\"; did you mean \"{auth_authen}\"?",
	    3, NULL },
	{ "unknown check",
	    "rule \"a\" {\n\tstage = rcpt\n\tcheck = \"spff: fail\"\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "unknown check \"spff\"; did you mean \"spf\"? (known: spf, dkim,",
	    3, NULL },
	{ "unknown check result",
	    "rule \"a\" {\n\tstage = rcpt\n\tcheck = \"spf: fial\"\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "check spf has no result \"fial\"; did you mean \"fail\"? "
	    "(results: pass|fail|softfail|",
	    3, NULL },
	{ "check without results",
	    "rule \"a\" {\n\tstage = mail\n\tcheck = \"spf\"\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "check \"spf\": name the results, e.g. \"spf: pass|fail", 3, NULL },
	{ "unknown list type",
	    "list \"x\" {\n\ttype = ip\n\tentries = { \"a\" }\n}\n",
	    { { NULL, NULL } }, REGISTRY_ERROR,
	    "list \"x\": unknown type \"ip\": use cidr, domain, address or "
	    "regex", 2, NULL },
	{ "list without type",
	    "# x\nlist \"x\" {\n\tentries = { \"a\" }\n}\n", { { NULL, NULL } },
	    REGISTRY_ERROR, "list \"x\": give its type", 2, NULL },
	{ "bad rule name",
	    "rule \"a b\" {\n\tstage = rcpt\n\taction = reject\n}\n",
	    { { NULL, NULL } }, REGISTRY_ERROR,
	    "rule \"a b\": a name has letters, digits", 1, NULL },
	{ "bad mode",
	    "rule \"a\" {\n\tstage = mail\n\tmode = maybe\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "mode \"maybe\": use enforce or dry-run", 3, NULL },
	{ "bad id",
	    "rule \"a\" {\n\tstage = mail\n\tid = \"a b\"\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "id \"a b\": an id has letters", 3, NULL },
	{ "bad rule disclose",
	    "rule \"a\" {\n\tstage = mail\n\tdisclose = vague\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "rule \"a\": disclose \"vague\": use specific or generic", 3,
	    NULL },

	/* --- Replies against the registry -------------------------------- */
	{ "class mismatch",
	    "rule \"a\" {\n\tstage = rcpt\n\treply = \"550 4.7.1 x\"\n}\n",
	    { { NULL, NULL } }, REGISTRY_ERROR,
	    "550 4.7.1: class 4 does not match reply 550; did you mean 450 "
	    "4.7.1 or 550 5.7.1?", 3, NULL },
	{ "action tempfail with 550",
	    "rule \"a\" {\n\tstage = rcpt\n\taction = tempfail\n"
	    "\treply = \"550 5.7.1 x\"\n}\n", { { NULL, NULL } },
	    REGISTRY_ERROR, "action tempfail with a 5xx reply: libmilter sends "
	    "a custom reply only when its class matches the action", 4, NULL },
	{ "action reject with 451",
	    "rule \"a\" {\n\tstage = rcpt\n\taction = reject\n"
	    "\treply = \"451 4.7.1 x\"\n}\n", { { NULL, NULL } },
	    REGISTRY_ERROR, "action reject with a 4xx reply", 4, NULL },
	{ "unregistered enhanced code",
	    "rule \"a\" {\n\tstage = rcpt\n\t# x\n"
	    "\treply = \"550 5.7.199 x\"\n}\n", { { NULL, NULL } },
	    REGISTRY_ERROR, "550 5.7.199: X.7.199 is not in the IANA "
	    "registry", 4, NULL },
	{ "private_codes escape",
	    "private_codes = { \"5.7.199\" }\n"
	    "rule \"a\" {\n\tstage = rcpt\n\treply = \"550 5.7.199 x\"\n}\n",
	    { { NULL, NULL } }, REGISTRY_OK, NULL, 0, NULL },
	{ "private code already registered",
	    "# x\nprivate_codes = { \"5.7.1\" }\n", { { NULL, NULL } },
	    REGISTRY_WARNING, "private_codes: X.7.1 is in the registry; it "
	    "needs no private declaration", 2, NULL },
	{ "private code malformed",
	    "private_codes = { \"5.7\" }\n", { { NULL, NULL } },
	    REGISTRY_ERROR, "private_codes: \"5.7\" is not an enhanced status "
	    "code", 1, NULL },
	{ "471",
	    "rule \"a\" {\n\tstage = rcpt\n\treply = \"471 4.7.1 x\"\n}\n",
	    { { NULL, NULL } }, REGISTRY_ERROR,
	    "471 is not an SMTP reply code", 3, NULL },
	{ "471 suggests 451",
	    "rule \"a\" {\n\tstage = rcpt\n\treply = \"471 4.7.1 x\"\n}\n",
	    { { NULL, NULL } }, REGISTRY_ERROR, "did you mean 451 4.7.1?", 3,
	    NULL },
	{ "reply code syntax",
	    "rule \"a\" {\n\tstage = rcpt\n\treply = \"55 5.7.1 x\"\n}\n",
	    { { NULL, NULL } }, REGISTRY_ERROR,
	    "rule \"a\": reply: \"55\" is not a reply code", 3, NULL },
	{ "reply unknown value",
	    "rule \"a\" {\n\tstage = rcpt\n"
	    "\treply = \"550 5.7.1 %{sendr}\"\n}\n", { { NULL, NULL } },
	    REGISTRY_ERROR, "reply: unknown value %{sendr}", 3, NULL },
	{ "5.1.1 at mail",
	    "rule \"a\" {\n\tstage = mail\n\treply = \"550 5.1.1 x\"\n}\n",
	    { { NULL, NULL } }, REGISTRY_WARNING,
	    "X.1.1 \"Bad destination mailbox address\" is about a recipient, "
	    "but this reply is given at MAIL FROM", 3, NULL },
	{ "5.1.7 at rcpt",
	    "rule \"a\" {\n\tstage = rcpt\n\treply = \"550 5.1.7 x\"\n}\n",
	    { { NULL, NULL } }, REGISTRY_WARNING,
	    "is about the sender, but this reply is given at RCPT TO", 3,
	    NULL },
	{ "reply without enhanced code",
	    "rule \"a\" {\n\tstage = mail\n\treply = \"550 Go away\"\n}\n",
	    { { NULL, NULL } }, REGISTRY_WARNING,
	    "reply 550 has no enhanced status code: Sendmail will add 5.0.0",
	    3, NULL },
	{ "soft_bounce without a 4xx form",
	    "soft_bounce = true\n"
	    "rule \"a\" {\n\tstage = mail\n"
	    "\treply = \"550 5.7.23 x\"\n}\n", { { NULL, NULL } },
	    REGISTRY_WARNING, "soft_bounce: X.7.23 has no registered 4xx "
	    "form, so the rule answers 450 4.7.0 instead of 550 5.7.23", 4,
	    NULL },
	{ "soft_bounce 552",
	    "soft_bounce = true\n"
	    "rule \"a\" {\n\tstage = mail\n"
	    "\treply = \"552 5.3.4 x\"\n}\n", { { NULL, NULL } },
	    REGISTRY_WARNING, "answers 451 4.3.0 instead of 552 5.3.4", 4,
	    NULL },
	{ "soft_bounce with a 4xx form",
	    "soft_bounce = true\n"
	    "rule \"a\" {\n\tstage = mail\n"
	    "\treply = \"550 5.7.1 x\"\n}\n", { { NULL, NULL } },
	    REGISTRY_OK, NULL, 0, NULL },

	/* --- Conditions against the rule's stage ------------------------- */
	{ "rcpt at connect",
	    "rule \"a\" {\n\tstage = connect\n\trcpt = \"a@b.example\"\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "rule \"a\": rcpt is not known at stage connect (the MTA tells it "
	    "from stage rcpt on): move the rule to stage rcpt or later", 3,
	    NULL },
	{ "body at rcpt",
	    "rule \"a\" {\n\tstage = rcpt\n\tbody = \"/x/\"\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "body is not known at stage rcpt", 3, NULL },
	{ "body at rcpt, nested",
	    "rule \"a\" {\n\tstage = rcpt\n\tany {\n"
	    "\t\trcpt = \"a@b.example\"\n"
	    "\t\t# x\n"
	    "\t\tbody = \"/x/\"\n\t}\n\taction = reject\n}\n",
	    { { NULL, NULL } }, REGISTRY_ERROR,
	    "body is not known at stage rcpt", 6, NULL },
	{ "{auth_authen} at connect",
	    "rule \"a\" {\n\tstage = connect\n"
	    "\tmacro = \"{auth_authen}\"\n\taction = reject\n}\n",
	    { { NULL, NULL } }, REGISTRY_ERROR,
	    "{auth_authen} is not known at stage connect (the MTA tells it "
	    "from stage mail on)", 3, NULL },
	{ "header at mail",
	    "rule \"a\" {\n\tstage = mail\n\theader = \"Subject\"\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "header is not known at stage mail", 3, NULL },
	{ "sender at helo",
	    "rule \"a\" {\n\tstage = helo\n\tsender = \"a@b.example\"\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "sender is not known at stage helo", 3, NULL },
	{ "spf at connect",
	    "rule \"a\" {\n\tstage = connect\n\tcheck = \"spf: fail\"\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "spf is not known at stage connect", 3, NULL },
	{ "rcpt_count at mail",
	    "rule \"a\" {\n\tstage = mail\n\trcpt_count = \"> 5\"\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "rcpt_count is not known at stage mail", 3, NULL },

	/* --- Conditions' values ------------------------------------------ */
	{ "body literal",
	    "rule \"a\" {\n\tstage = body\n\tbody = \"lottery\"\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "body \"lottery\": the body is matched by regular expressions: "
	    "write \"/lottery/\"", 3, NULL },
	{ "regex for client_addr",
	    "rule \"a\" {\n\tstage = connect\n\tclient_addr = \"/^192/\"\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "a client address is matched by CIDR ranges", 3, NULL },
	/* A number is compared: a regex or a list of one never matched. */
	{ "regex for rcpt_count",
	    "rule \"a\" {\n\tstage = rcpt\n\trcpt_count = \"/5/\"\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "rcpt_count: a number is compared, not matched", 3, NULL },
	{ "regex list for size",
	    "list \"r\" {\n\ttype = regex\n\tentries = { \"/1/\" }\n}\n"
	    "rule \"a\" {\n\tstage = mail\n"
	    "\tsize = \"list:r\"\n\taction = reject\n}\n",
	    { { NULL, NULL } }, REGISTRY_ERROR,
	    "list \"r\" is a regex list, which cannot match size", 7, NULL },
	{ "bad CIDR",
	    "rule \"a\" {\n\tstage = connect\n"
	    "\tclient_addr = \"192.0.2.0/33\"\n\taction = reject\n}\n",
	    { { NULL, NULL } }, REGISTRY_ERROR,
	    "client_addr: \"192.0.2.0/33\" has prefix length 33", 3, NULL },
	{ "list of the wrong kind",
	    "list \"d\" {\n\ttype = domain\n\tentries = { \"a.example\" }\n}\n"
	    "rule \"a\" {\n\tstage = connect\n"
	    "\tclient_addr = \"list:d\"\n\taction = reject\n}\n",
	    { { NULL, NULL } }, REGISTRY_ERROR,
	    "list \"d\" is a domain list, which cannot match client_addr", 7,
	    NULL },
	{ "null recipient",
	    "rule \"a\" {\n\tstage = rcpt\n\trcpt = \"<>\"\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "rcpt: a recipient is never the null address <>", 3, NULL },
	{ "bad comparison",
	    "rule \"a\" {\n\tstage = rcpt\n\trcpt_count = \"lots\"\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "rcpt_count \"lots\": write OPERATOR NUMBER", 3, NULL },
	{ "bad size suffix",
	    "rule \"a\" {\n\tstage = mail\n\tsize = \"> 10X\"\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "size \"> 10X\": write OPERATOR NUMBER", 3, NULL },
	{ "two comparisons",
	    "rule \"a\" {\n\tstage = rcpt\n"
	    "\trcpt_count = { \"> 1\", \"< 5\" }\n\taction = reject\n}\n",
	    { { NULL, NULL } }, REGISTRY_ERROR,
	    "rcpt_count: give one comparison", 3, NULL },
	{ "bad header condition",
	    "rule \"a\" {\n\tstage = header\n"
	    "\theader = \"Bad Name: x\"\n\taction = reject\n}\n",
	    { { NULL, NULL } }, REGISTRY_ERROR,
	    "header \"Bad Name: x\": write \"Name\" or \"Name: value\"", 3,
	    NULL },
	{ "bad address",
	    "rule \"a\" {\n\tstage = rcpt\n\trcpt = {\n"
	    "\t\t\"a@b.example\",\n\t\t\"bad entry\"\n\t}\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    /* Inline entries are reported at their option's first value. */
	    "rcpt: \"bad entry\" is not an address", 4, NULL },
	{ "more than 8 lists",
	    "rule \"a\" {\n\tstage = mail\n"
	    "\tsender = { \"list:a\", \"list:b\", \"list:c\", \"list:d\", "
	    "\"list:e\", \"list:f\", \"list:g\", \"list:h\", \"list:i\" }\n"
	    "\taction = reject\n}\n"
	    "list \"a\" {\n\ttype = address\n\tentries = { \"a@a.example\" }\n}\n"
	    "list \"b\" {\n\ttype = address\n\tentries = { \"a@a.example\" }\n}\n"
	    "list \"c\" {\n\ttype = address\n\tentries = { \"a@a.example\" }\n}\n"
	    "list \"d\" {\n\ttype = address\n\tentries = { \"a@a.example\" }\n}\n"
	    "list \"e\" {\n\ttype = address\n\tentries = { \"a@a.example\" }\n}\n"
	    "list \"f\" {\n\ttype = address\n\tentries = { \"a@a.example\" }\n}\n"
	    "list \"g\" {\n\ttype = address\n\tentries = { \"a@a.example\" }\n}\n"
	    "list \"h\" {\n\ttype = address\n\tentries = { \"a@a.example\" }\n}\n"
	    "list \"i\" {\n\ttype = address\n\tentries = { \"a@a.example\" }\n}\n",
	    { { NULL, NULL } }, REGISTRY_ERROR,
	    "more than 8 lists in one condition: merge them", 3, NULL },
	{ "list file that cannot be read",
	    "list \"l\" {\n\ttype = domain\n\t# x\n\tfile = \"nope.list\"\n}\n"
	    "rule \"a\" {\n\tstage = mail\n\tsender_domain = \"list:l\"\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "list \"l\": cannot read", 4, NULL },
	{ "bad line in a list file, relative to the config",
	    "list \"l\" {\n\ttype = domain\n\tfile = \"sub/bad.list\"\n}\n"
	    "rule \"a\" {\n\tstage = mail\n\tsender_domain = \"list:l\"\n"
	    "\taction = reject\n}\n", {
	    { "sub/bad.list", "good.example\n# comment\n\nbad domain\n" } },
	    REGISTRY_ERROR, "list \"l\": \"bad domain\" is not a domain name",
	    4, "/sub/bad.list" },
	{ "check dnsbl without zones",
	    "rule \"a\" {\n\tstage = connect\n\tcheck = \"dnsbl: listed\"\n"
	    "\treply = \"550 5.7.1 listed\"\n}\n", { { NULL, NULL } },
	    REGISTRY_ERROR, "check dnsbl needs zones", 1, NULL },
	{ "check storage without spool_path",
	    "rule \"a\" {\n\tstage = mail\n\tcheck = \"storage: low\"\n}\n",
	    { { NULL, NULL } }, REGISTRY_ERROR,
	    "check storage needs spool_path", 1, NULL },
	{ "check size without message_size_limit",
	    "# x\nrule \"a\" {\n\tstage = mail\n\tcheck = \"size: toobig\"\n}\n",
	    { { NULL, NULL } }, REGISTRY_ERROR,
	    "check size needs message_size_limit", 2, NULL },
	{ "dkim without trusted verifiers",
	    "rule \"a\" {\n\tstage = eoh\n\tcheck = \"dkim: fail\"\n}\n",
	    { { NULL, NULL } }, REGISTRY_WARNING,
	    "trusted_authserv_ids names none", 0, NULL },

	/* --- Actions against stages and replies -------------------------- */
	{ "reply with accept",
	    "rule \"a\" {\n\tstage = rcpt\n\taction = accept\n"
	    "\treply = \"550 5.7.1 x\"\n}\n", { { NULL, NULL } },
	    REGISTRY_ERROR, "a reply is sent only with action reject or "
	    "tempfail, not accept", 4, NULL },
	{ "reply with continue",
	    "rule \"a\" {\n\tstage = rcpt\n\taction = continue\n"
	    "\treply = \"550 5.7.1 x\"\n}\n", { { NULL, NULL } },
	    REGISTRY_ERROR, "not continue", 4, NULL },
	{ "discard at connect",
	    "rule \"a\" {\n\tstage = connect\n\t# x\n\taction = discard\n}\n",
	    { { NULL, NULL } }, REGISTRY_ERROR,
	    "discard acts on a message, and there is none at stage connect",
	    4, NULL },
	{ "add-header at helo",
	    "rule \"a\" {\n\tstage = helo\n\taction = add-header\n"
	    "\tadd_header = \"X-A: b\"\n}\n", { { NULL, NULL } },
	    REGISTRY_ERROR, "add-header acts on a message, and there is none "
	    "at stage helo", 3, NULL },
	{ "add-header without add_header",
	    "rule \"a\" {\n\tstage = eom\n\taction = add-header\n}\n",
	    { { NULL, NULL } }, REGISTRY_ERROR,
	    "action add-header needs add_header = \"Name: value\"", 3, NULL },
	{ "add_header with reject",
	    "rule \"a\" {\n\tstage = eom\n\taction = reject\n"
	    "\tadd_header = \"X-A: b\"\n}\n", { { NULL, NULL } },
	    REGISTRY_ERROR, "add_header goes with action = add-header", 4,
	    NULL },
	{ "add_header without a colon",
	    "rule \"a\" {\n\tstage = eom\n\taction = add-header\n"
	    "\tadd_header = \"NoColon\"\n}\n", { { NULL, NULL } },
	    REGISTRY_ERROR, "add_header \"NoColon\": write \"Name: value\"", 4,
	    NULL },
	{ "add_header with an unknown value",
	    "rule \"a\" {\n\tstage = eom\n\taction = add-header\n"
	    "\tadd_header = \"X-A: %{nope}\"\n}\n", { { NULL, NULL } },
	    REGISTRY_ERROR, "add_header: unknown value %{nope}", 4, NULL },
	{ "add_header alone means add-header",
	    "rule \"a\" {\n\tstage = eom\n\tadd_header = \"X-A: b\"\n}\n",
	    { { NULL, NULL } }, REGISTRY_OK, NULL, 0, NULL },

	/* --- Global settings --------------------------------------------- */
	{ "on_failure = accept",
	    "# x\non_failure = accept\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "on_failure = accept: an internal failure must never let mail "
	    "through unchecked", 2, NULL },
	{ "on_failure = discard",
	    "on_failure = discard\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "on_failure = discard", 1, NULL },
	{ "on_failure without text",
	    "on_failure = \"451 4.3.0\"\n", { { NULL, NULL } },
	    REGISTRY_ERROR, "on_failure: give a basic code, an enhanced code "
	    "and a text", 1, NULL },
	{ "on_failure class mismatch",
	    "on_failure = \"451 5.3.0 x\"\n", { { NULL, NULL } },
	    REGISTRY_ERROR, "on_failure: 451 5.3.0: class 5 does not match", 1,
	    NULL },
	{ "on_failure unknown value",
	    "on_failure = \"451 4.3.0 %{nope}\"\n", { { NULL, NULL } },
	    REGISTRY_ERROR, "on_failure: unknown value %{nope}", 1, NULL },
	{ "on_failure = tempfail",
	    "on_failure = tempfail\n", { { NULL, NULL } }, REGISTRY_OK, NULL,
	    0, NULL },
	{ "bad socket",
	    "// x\nsocket = \"tcp:25\"\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "socket \"tcp:25\": write unix:/path/to/socket, inet:PORT@HOST or "
	    "inet6:PORT@HOST", 2, NULL },
	{ "socket port out of range",
	    "socket = \"inet:99999@localhost\"\n", { { NULL, NULL } },
	    REGISTRY_ERROR, "socket \"inet:99999@localhost\"", 1, NULL },
	{ "unix socket without a path",
	    "socket = \"unix:sock\"\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "socket \"unix:sock\"", 1, NULL },
	{ "inet socket",
	    "socket = \"inet:8890@127.0.0.1\"\n", { { NULL, NULL } },
	    REGISTRY_OK, NULL, 0, NULL },
	{ "bad socket_mode",
	    "socket_mode = \"0999\"\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "socket_mode \"0999\": write an octal mode", 1, NULL },
	{ "user without name",
	    "# x\nuser = \":mail\"\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "user \":mail\": write USER or USER:GROUP", 2, NULL },
	{ "user with empty group",
	    "user = \"milter:\"\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "user \"milter:\": write USER or USER:GROUP", 1, NULL },
	{ "user empty",
	    "user = \"\"\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "write USER or USER:GROUP", 1, NULL },
	{ "user and group",
	    "user = \"milter:mail\"\n", { { NULL, NULL } }, REGISTRY_OK, NULL,
	    0, NULL },
	{ "bad log_level",
	    "log_level = loud\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "log_level \"loud\": use error, warning", 1, NULL },
	{ "bad log_format",
	    "log_format = yaml\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "log_format \"yaml\": use text or json", 1, NULL },
	{ "bad syslog_facility",
	    "syslog_facility = kern\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "syslog_facility \"kern\"", 1, NULL },
	{ "bad disclose",
	    "disclose = vague\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "disclose \"vague\": use specific or generic", 1, NULL },
	{ "bad dry_run_header",
	    "dry_run_header = \"X Bad\"\n", { { NULL, NULL } },
	    REGISTRY_ERROR, "dry_run_header \"X Bad\" is not a header name", 1,
	    NULL },
	{ "bad body_limit",
	    "body_limit = -1\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "body_limit -1: give bytes from 0 to 67108864", 1, NULL },
	{ "bad timeout",
	    "timeout = 3601\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "timeout 3601", 1, NULL },
	/* One row per integer option of conf_settings.c's table. */
	{ "body_limit over its maximum",
	    "# x\nbody_limit = 67108865\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "body_limit 67108865: give bytes from 0 to 67108864", 2, NULL },
	{ "bad dns_timeout",
	    "/* x */\ndns_timeout = 61\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "dns_timeout 61: give seconds from 1 to 60", 2, NULL },
	{ "dns_budget at the MTAs' milter timeout",
	    "dns_budget = 30\n", { { NULL, NULL } }, REGISTRY_WARNING,
	    "dns_budget 30: the shipped Postfix and Sendmail settings give a "
	    "milter 30 seconds a command", 1, NULL },
	{ "one slow query spends the budget",
	    "\ndns_timeout = 10\ndns_tries = 3\n", { { NULL, NULL } },
	    REGISTRY_WARNING, "dns_timeout 10 x dns_tries 3 is more than "
	    "dns_budget 20", 2, NULL },
	{ "bad strip_authres",
	    "strip_authres = \"maybe\"\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "strip_authres \"maybe\": use auto", 1, NULL },
	{ "header_count_limit of 0",
	    "header_count_limit = 0\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "header_count_limit 0: give headers from 1 to 100000", 1, NULL },
	{ "header_limit below its minimum",
	    "# x\nheader_limit = 100\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "header_limit 100: give bytes from 1024 to 67108864", 2, NULL },
	{ "header_limit_reply: class against basic code",
	    "header_limit_reply = \"552 4.3.4 Too big\"\n", { { NULL, NULL } },
	    REGISTRY_ERROR, "header_limit_reply: 552 4.3.4: class 4 does not "
	    "match reply 552; did you mean 552 5.3.4?", 1, NULL },
	{ "header_limit_reply without a text",
	    "\nheader_limit_reply = \"552 5.3.4\"\n", { { NULL, NULL } },
	    REGISTRY_ERROR, "header_limit_reply: give a basic code, an "
	    "enhanced code and a text", 2, NULL },
	{ "bad dns_tries: the message names no unit",
	    "dns_tries = 0\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "dns_tries 0: give 1 to 5", 1, NULL },
	{ "negative spool_min_inodes",
	    "spool_path = \"/\"\n// x\nspool_min_inodes = -1\n",
	    { { NULL, NULL } }, REGISTRY_ERROR,
	    "spool_min_inodes -1: give inodes from 0 to 2147483647", 3, NULL },

	/* --- The MTA model ----------------------------------------------- */
	{ "reply line too long once expanded",
	    "rule \"a\" {\n\tstage = mail\n\t# x\n"
	    "\treply = \"550 5.7.1 %{sender} %{sender} %{sender} %{sender} "
	    "%{sender}\"\n}\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "line 1 can reach 1019 characters once its values are filled in; "
	    "libmilter refuses more than 980", 4, NULL },
	{ "second reply line too long",
	    "rule \"a\" {\n\tstage = mail\n"
	    "\treply = { \"550 5.7.1 ok\",\n"
	    "\t\t\"%{helo}%{helo}%{helo}%{helo}%{helo}\" }\n}\n",
	    { { NULL, NULL } }, REGISTRY_ERROR, "line 2 can reach 1015", 3,
	    NULL },
	{ "reply line past RFC 5321",
	    "rule \"a\" {\n\tstage = mail\n"
	    "\treply = \"550 5.7.1 %{sender}%{helo}%{rcpt}\"\n}\n",
	    { { NULL, NULL } }, REGISTRY_WARNING,
	    "line 1 can reach 619 octets with its codes; RFC 5321", 3, NULL },
	{ "reply id makes a line too long",
	    "reply_id = true\n"
	    "rule \"a\" {\n\tstage = mail\n"
	    "\treply = \"550 5.7.1 %{sender}%{helo}%{rcpt}%{rule}"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n}\n",
	    { { NULL, NULL } }, REGISTRY_ERROR,
	    "reply with its id: line 1 can reach 984 characters", 4, NULL },
	{ "33 reply lines",
	    "rule \"a\" {\n\tstage = mail\n"
	    "\treply = { \"550 5.7.1 x\", \"2\", \"3\", \"4\", \"5\", \"6\", "
	    "\"7\", \"8\", \"9\", \"10\", \"11\", \"12\", \"13\", \"14\", \"15\", "
	    "\"16\", "
	    "\"17\", \"18\", \"19\", \"20\", \"21\", \"22\", \"23\", \"24\", "
	    "\"25\", \"26\", \"27\", \"28\", \"29\", \"30\", \"31\", \"32\", "
	    "\"33\" }\n}\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "33 reply lines: libmilter sends at most 32", 3, NULL },
	{ "32 reply lines",
	    "rule \"a\" {\n\tstage = mail\n"
	    "\treply = { \"550 5.7.1 x\", \"2\", \"3\", \"4\", \"5\", \"6\", "
	    "\"7\", \"8\", \"9\", \"10\", \"11\", \"12\", \"13\", \"14\", \"15\", "
	    "\"16\", "
	    "\"17\", \"18\", \"19\", \"20\", \"21\", \"22\", \"23\", \"24\", "
	    "\"25\", \"26\", \"27\", \"28\", \"29\", \"30\", \"31\", \"32\" }\n}\n",
	    { { NULL, NULL } }, REGISTRY_OK, NULL, 0, NULL },
	{ "reply line break",
	    "rule \"a\" {\n\tstage = mail\n"
	    "\treply = \"550 5.7.1 a\\nb\"\n}\n", { { NULL, NULL } },
	    REGISTRY_ERROR, "a line break inside a reply line", 3, NULL },

	/* --- Lint: shadowed rules, rules that never match, unused lists --- */
	{ "accept at connect shadows a later reject of the same list",
	    "list \"x\" {\n\ttype = cidr\n\tentries = { \"192.0.2.0/24\" }\n}\n"
	    "# the exemption\n"
	    "rule \"ok\" {\n\tstage = connect\n\tclient_addr = \"list:x\"\n"
	    "\taction = accept\n}\n"
	    "# the block, too late\n"
	    "rule \"no\" {\n\tstage = rcpt\n\tclient_addr = \"list:x\"\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_WARNING,
	    "rule \"no\" can never match: rule \"ok\" (line 6, stage connect) "
	    "accepts first whenever it would match; move it above \"ok\" or "
	    "narrow \"ok\"", 12, NULL },
	{ "a rule without conditions shadows the rest of its stage",
	    "rule \"all\" {\n\tstage = rcpt\n\taction = reject\n}\n"
	    "\n"
	    "rule \"later\" {\n\tstage = rcpt\n"
	    "\trcpt = \"a@b.example\"\n\taction = tempfail\n}\n",
	    { { NULL, NULL } }, REGISTRY_WARNING,
	    "rule \"later\" can never match: rule \"all\" (line 1, stage rcpt) "
	    "rejects first whenever it would match (it has no conditions)", 6,
	    NULL },
	/* The lint files rules by their first condition (conf_lint.c): a
	 * shadow found through a later condition, and the earliest of two. */
	{ "shadowed through its second condition",
	    "rule \"s\" {\n\tstage = mail\n\tsender_domain = \"a.example\"\n"
	    "\taction = reject\n}\n"
	    "rule \"l\" {\n\tstage = mail\n\thelo = \"x.example\"\n"
	    "\tsender_domain = \"a.example\"\n\taction = tempfail\n}\n",
	    { { NULL, NULL } }, REGISTRY_WARNING,
	    "rule \"l\" can never match: rule \"s\" (line 1, stage mail) "
	    "rejects first", 6, NULL },
	{ "the earliest of two shadows is named",
	    "rule \"s\" {\n\tstage = mail\n\tsender_domain = \"a.example\"\n"
	    "\taction = reject\n}\n"
	    "rule \"b\" {\n\tstage = mail\n\taction = reject\n}\n"
	    "rule \"l\" {\n\tstage = mail\n\tsender_domain = \"a.example\"\n"
	    "\taction = tempfail\n}\n",
	    { { NULL, NULL } }, REGISTRY_WARNING,
	    "rule \"l\" can never match: rule \"s\" (line 1, stage mail) "
	    "rejects first", 10, NULL },
	{ "continue shadows the rest of its stage",
	    "rule \"skip\" {\n\tstage = mail\n\tsender = \"a@b.example\"\n"
	    "\taction = continue\n}\n"
	    "rule \"later\" {\n\tstage = mail\n\tsender = \"a@b.example\"\n"
	    "\thelo = \"x.example\"\n\taction = reject\n}\n",
	    { { NULL, NULL } }, REGISTRY_WARNING,
	    "rule \"skip\" (line 1, stage mail) ends the stage first", 6,
	    NULL },
	{ "reject at a later stage shadows nothing earlier",
	    "list \"x\" {\n\ttype = cidr\n\tentries = { \"192.0.2.0/24\" }\n}\n"
	    "rule \"no\" {\n\tstage = rcpt\n\tclient_addr = \"list:x\"\n"
	    "\taction = reject\n}\n"
	    "rule \"ok\" {\n\tstage = connect\n\tclient_addr = \"list:x\"\n"
	    "\taction = accept\n}\n", { { NULL, NULL } }, REGISTRY_OK, NULL, 0,
	    NULL },
	{ "dry-run, add-header and per-recipient rules shadow nothing",
	    "rule \"dry\" {\n\tstage = rcpt\n\taction = reject\n"
	    "\tmode = dry-run\n}\n"
	    "rule \"each\" {\n\tstage = rcpt\n\taction = reject\n}\n"
	    "rule \"tag\" {\n\tstage = eom\n\tadd_header = \"X-A: b\"\n}\n"
	    "rule \"last\" {\n\tstage = eom\n\taction = reject\n}\n",
	    { { NULL, NULL } }, REGISTRY_OK, NULL, 0, NULL },
	{ "a narrower earlier rule shadows nothing",
	    "rule \"narrow\" {\n\tstage = mail\n\tsender = \"a@b.example\"\n"
	    "\thelo = \"x.example\"\n\taction = reject\n}\n"
	    "rule \"wide\" {\n\tstage = mail\n\tsender = \"a@b.example\"\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_OK, NULL, 0,
	    NULL },
	{ "rcpt_count < 1 at rcpt",
	    "# x\nrule \"n\" {\n\tstage = rcpt\n\trcpt_count = \"< 1\"\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_WARNING,
	    "rule \"n\" can never match: there is at least one recipient from "
	    "stage rcpt on", 2, NULL },
	{ "rcpt_count = 0 at eom",
	    "rule \"n\" {\n\tstage = eom\n\trcpt_count = \"= 0\"\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_WARNING,
	    "there is at least one recipient", 1, NULL },
	{ "size < 0",
	    "rule \"n\" {\n\tstage = mail\n\tsize = \"< 0\"\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_WARNING,
	    "rule \"n\" can never match: nothing is less than 0", 1, NULL },
	{ "an empty list",
	    "list \"e\" {\n\ttype = domain\n}\n"
	    "rule \"n\" {\n\tstage = mail\n\tsender_domain = \"list:e\"\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_WARNING,
	    "list \"e\" has neither entries nor file: it is empty", 1, NULL },
	{ "a rule on an empty list",
	    "list \"e\" {\n\ttype = domain\n}\n"
	    "rule \"n\" {\n\tstage = mail\n\tsender_domain = \"list:e\"\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_WARNING,
	    "rule \"n\" can never match: its list is empty", 4, NULL },
	{ "unused list",
	    "# x\n// y\nlist \"u\" {\n\ttype = domain\n"
	    "\tentries = { \"a.example\" }\n}\n", { { NULL, NULL } },
	    REGISTRY_WARNING, "list \"u\" is not used by any rule", 3, NULL },
	{ "an empty any",
	    "rule \"a\" {\n\tstage = rcpt\n\tany {\n\t}\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_WARNING,
	    /* An empty section has no line of its own: the rule's. */
	    "an empty any {} never matches", 1, NULL },
	{ "nesting four deep",
	    "rule \"a\" {\n\tstage = rcpt\n"
	    "\tany { all { not { any { rcpt = \"a@b.example\" } } } }\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_OK, NULL, 0,
	    NULL },
	/* The parse picks its schema from the braces it sees (conf_schema.c):
	 * braces in comments, strings and lists do not count. */
	{ "nesting two deep, braces in comments, strings and lists",
	    "# rule \"x\" { any { all { not { any {\n"
	    "/* } } } { { { */\n"
	    "rule \"a\" {\n\tstage = rcpt\n"
	    "\treply = { \"550 5.7.1 Refused {here} }}\" }\n"
	    "\tany { all { rcpt = { \"a@b.example\", 'c@d.example' } } }\n"
	    "}\n", { { NULL, NULL } }, REGISTRY_OK, NULL, 0, NULL },
	{ "an error two deep, after a flat rule",
	    "rule \"f\" {\n\tstage = mail\n\tsender = \"a@b.example\"\n"
	    "\taction = reject\n}\n"
	    "rule \"a\" {\n\tstage = rcpt\n"
	    "\tany { all { rcpt = \"a@b.example\"\n\t\trcptt = \"x\" } }\n"
	    "\taction = reject\n}\n", { { NULL, NULL } }, REGISTRY_ERROR,
	    "no such option 'rcptt'; did you mean 'rcpt'?", 9, NULL },
};

/* test_conf - one row of conf_cases. */
START_TEST(test_conf)
{
	const struct conf_case *c = &conf_cases[_i];
	struct diags *d = calloc(1, sizeof(*d));
	char why[DIAG_MAX * 256 + 512] = "", line[16];
	struct fixture f;
	struct policy *p;
	const char *path;
	int found = 0;

	ck_assert_ptr_nonnull(d);
	fixture_new(&f);
	path = fixture_write(&f, "main.conf", c->text);
	for (unsigned i = 0; i < EXTRA_FILES && c->extra[i].name != NULL; i++)
		(void)fixture_write(&f, c->extra[i].name, c->extra[i].text);
	p = conf_load(path, diag_note, d, &d->counts);
	if (c->line == ANY_LINE)
		snprintf(line, sizeof(line), "any line");
	else
		snprintf(line, sizeof(line), "%u", c->line);
	if (c->want == REGISTRY_OK) {
		if (p == NULL || d->n != 0)
			snprintf(why, sizeof(why), "%s: diagnostics:%s",
			    c->label, diags_text(d));
	} else {
		for (unsigned i = 0; i < d->n && i < DIAG_MAX && !found; i++) {
			const struct diag *x = &d->d[i];

			found = x->sev == c->want &&
			    strstr(x->msg, c->msg) != NULL &&
			    (c->line == ANY_LINE || x->line == c->line) &&
			    (c->file == NULL ? strcmp(x->file, path) == 0 :
			    ends_with(x->file, c->file));
		}
		if (!found)
			snprintf(why, sizeof(why), "%s: no %s \"%s\" at %s:%s "
			    "among:%s", c->label, registry_severity_name(c->want),
			    c->msg, c->file != NULL ? c->file : "main.conf",
			    line, diags_text(d));
		else if (c->want == REGISTRY_ERROR && (p != NULL ||
		    d->counts.errors == 0))
			snprintf(why, sizeof(why), "%s: loaded despite the error",
			    c->label);
		else if (c->want == REGISTRY_WARNING && (p == NULL ||
		    d->counts.errors > 0))
			snprintf(why, sizeof(why), "%s: a warning stopped the "
			    "load:%s", c->label, diags_text(d));
	}
	if (why[0] == '\0' && d->counts.errors + d->counts.warnings != d->n)
		snprintf(why, sizeof(why), "%s: counts disagree with the "
		    "diagnostics", c->label);
	/* Released first, so a failing row leaks nothing under valgrind. */
	policy_unref(p);
	fixture_free(&f);
	free(d);
	ck_assert_msg(why[0] == '\0', "%s", why);
}
END_TEST

/* test_all_errors_in_one_run - every semantic error is reported, not
 * only the first. */
START_TEST(test_all_errors_in_one_run)
{
	struct diags *d = calloc(1, sizeof(*d));
	struct policy *p;

	ck_assert_ptr_nonnull(d);
	p = load_text(
	    "timeout = 0\n"
	    "socket = \"tcp:25\"\n"
	    "rule \"a\" {\n\tstage = rcpt\n\treply = \"550 4.7.1 x\"\n}\n"
	    "rule \"b\" {\n\tstage = connect\n\trcpt = \"a@b.example\"\n"
	    "\taction = reject\n}\n"
	    "rule \"c\" {\n\tstage = mail\n\treply = \"550 5.1.1 x\"\n}\n", d);
	ck_assert_ptr_null(p);
	ck_assert_msg(d->counts.errors == 4 && d->counts.warnings == 1,
	    "%u errors, %u warnings:%s", d->counts.errors, d->counts.warnings,
	    diags_text(d));
	for (unsigned i = 0; i < d->n; i++)
		ck_assert_msg(d->d[i].line == 1 || d->d[i].line == 2 ||
		    d->d[i].line == 5 || d->d[i].line == 9 ||
		    d->d[i].line == 14, "%s", diags_text(d));
	free(d);
}
END_TEST

/* An any/all/not nested deeper than the grammar allows: said so, at its
 * line, without suggesting the very word refused. */
START_TEST(test_nesting_too_deep)
{
	struct diags *d = calloc(1, sizeof(*d));

	char msg[DIAG_TEXT];
	unsigned n, line;

	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_null(load_text("rule \"a\" {\n\tstage = rcpt\n"
	    "\tany { any { any { any { any { rcpt = \"a@b.example\" } } } } }\n"
	    "\taction = reject\n}\n", d));
	n = d->n;
	line = d->d[0].line;
	snprintf(msg, sizeof(msg), "%s", d->d[0].msg);
	free(d);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(line, 3);
	ck_assert_msg(strstr(msg, "did you mean 'any'") == NULL,
	    "suggests the word it refuses: %s", msg);
	ck_assert_msg(strstr(msg, "nest at most 4 deep") != NULL, "%s", msg);
}
END_TEST

/* A mistake inside groups two deep: the parse with the two-level schema
 * fails without a word, and the one with the full schema reports the
 * mistake once, at its line. */
START_TEST(test_nested_error_once)
{
	struct diags *d = calloc(1, sizeof(*d));
	unsigned n, line, errors;
	char msg[DIAG_TEXT];

	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_null(load_text("rule \"a\" {\n\tstage = rcpt # it's\n"
	    "\tany { not { rcpt = \"a@b.example\"\n\t\tfoo = \"x\" } }\n"
	    "\taction = reject\n}\n", d));
	n = d->n;
	errors = d->counts.errors;
	line = n > 0 ? d->d[0].line : 0;
	snprintf(msg, sizeof(msg), "%s", n > 0 ? d->d[0].msg : "");
	free(d);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(errors, 1);
	ck_assert_uint_eq(line, 4);
	ck_assert_msg(strstr(msg, "no such option 'foo'") != NULL, "%s", msg);
}
END_TEST

/* test_missing_file - a config that is not there: one error, no policy. */
START_TEST(test_missing_file)
{
	struct diags *d = calloc(1, sizeof(*d));
	struct conf_counts counts = { 7, 7 };

	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_null(conf_load("/nonexistent/replymilter.conf",
	    diag_note, d, &counts));
	ck_assert_uint_eq(counts.errors, 1);
	ck_assert_uint_eq(counts.warnings, 0);
	ck_assert_uint_eq(d->n, 1);
	ck_assert_str_eq(d->d[0].file, "/nonexistent/replymilter.conf");
	ck_assert_ptr_nonnull(strstr(d->d[0].msg, "No such file"));
	/* counts may be NULL. */
	ck_assert_ptr_null(conf_load("/nonexistent/replymilter.conf",
	    diag_note, d, NULL));
	free(d);
}
END_TEST

/* test_writable - a config, or a list file, any local user could change
 * (the file writable by others, or its folder without the sticky bit) is
 * warned about, naming the fix; the policy still loads. */
START_TEST(test_writable)
{
	struct diags *d = calloc(1, sizeof(*d));
	struct fixture f;
	struct policy *p;
	const char *conf, *list;

	ck_assert_ptr_nonnull(d);
	fixture_new(&f);
	list = fixture_write(&f, "senders.txt", "bad@example.org\n");
	conf = fixture_write(&f, "main.conf",
	    "list \"bad\" { type = address\n file = \"senders.txt\" }\n"
	    "rule \"r\" { stage = mail\n sender = list:bad\n"
	    " reply = \"5.7.1\" }\n");

	/* Private files in a private folder: nothing to say. */
	ck_assert_int_eq(chmod(f.dir, 0700), 0);
	ck_assert_int_eq(chmod(conf, 0644), 0);
	ck_assert_int_eq(chmod(list, 0644), 0);
	p = conf_load(conf, diag_note, d, &d->counts);
	ck_assert_msg(p != NULL && d->counts.warnings == 0, "%s",
	    diags_text(d));
	policy_free(p);

	/* The config writable by others. */
	memset(d, 0, sizeof(*d));
	ck_assert_int_eq(chmod(conf, 0666), 0);
	p = conf_load(conf, diag_note, d, &d->counts);
	ck_assert_ptr_nonnull(p);
	ck_assert_msg(d->counts.warnings == 1 && strstr(d->d[0].msg,
	    "main.conf is writable by any user (mode 0666)") != NULL &&
	    strstr(d->d[0].msg, "run chmod o-w ") != NULL, "%s",
	    diags_text(d));
	ck_assert_str_eq(d->d[0].file, conf);
	policy_free(p);

	/* The list file writable by others: warned at the line naming it. */
	memset(d, 0, sizeof(*d));
	ck_assert_int_eq(chmod(conf, 0644), 0);
	ck_assert_int_eq(chmod(list, 0646), 0);
	p = conf_load(conf, diag_note, d, &d->counts);
	ck_assert_ptr_nonnull(p);
	ck_assert_msg(d->counts.warnings == 1 && strstr(d->d[0].msg,
	    "senders.txt is writable by any user (mode 0646)") != NULL &&
	    d->d[0].line == 2, "%s", diags_text(d));
	policy_free(p);

	/* The folder writable by all without the sticky bit: both files
	 * could be replaced; with the sticky bit (as /tmp) they cannot. */
	memset(d, 0, sizeof(*d));
	ck_assert_int_eq(chmod(list, 0644), 0);
	ck_assert_int_eq(chmod(f.dir, 0777), 0);
	p = conf_load(conf, diag_note, d, &d->counts);
	ck_assert_ptr_nonnull(p);
	ck_assert_msg(d->counts.warnings == 2 && strstr(d->d[0].msg,
	    "which any user can write to (mode 0777)") != NULL, "%s",
	    diags_text(d));
	policy_free(p);
	memset(d, 0, sizeof(*d));
	ck_assert_int_eq(chmod(f.dir, 01777), 0);
	p = conf_load(conf, diag_note, d, &d->counts);
	ck_assert_msg(p != NULL && d->counts.warnings == 0, "%s",
	    diags_text(d));
	policy_free(p);

	fixture_free(&f);
	free(d);
}
END_TEST

/* test_defaults - an empty config loads with the documented defaults. */
START_TEST(test_defaults)
{
	struct diags *d = calloc(1, sizeof(*d));
	struct policy *p;
	char buf[256];

	ck_assert_ptr_nonnull(d);
	p = load_text("# nothing\n", d);
	ck_assert_msg(p != NULL && d->n == 0, "%s", diags_text(d));
	ck_assert_str_eq(p->settings.socket,
	    "unix:/run/replymilter/replymilter.sock");
	ck_assert_uint_eq(p->settings.socket_mode, 0660);
	ck_assert_ptr_null(p->settings.user);
	ck_assert_int_eq(p->settings.timeout, 30);
	ck_assert(!p->settings.soft_bounce);
	ck_assert(!p->settings.reply_id);
	ck_assert_int_eq(p->settings.disclose, POLICY_DISCLOSE_SPECIFIC);
	ck_assert_str_eq(p->settings.dry_run_header, "X-Replymilter-Dry-Run");
	ck_assert_uint_eq(p->settings.body_limit, 65536);
	ck_assert_str_eq(reply_describe(p->settings.failure_reply, buf,
	    sizeof(buf)), "451 4.3.0 Temporary local problem, please try "
	    "again later");
	ck_assert_uint_eq(p->nrules, 0);
	ck_assert_uint_eq(policy_stage_mask(p), 0);
	ck_assert_uint_eq(atomic_load(&p->refs), 1);
	policy_unref(p);
	/* Settings as written. */
	p = load_text("user = \"milter:mail\"\nsocket_mode = \"0600\"\n"
	    "on_failure = reject\nbody_limit = 0\n", d);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->settings.user, "milter");
	ck_assert_str_eq(p->settings.group, "mail");
	ck_assert_uint_eq(p->settings.socket_mode, 0600);
	ck_assert_uint_eq(p->settings.body_limit, 0);
	ck_assert_str_eq(reply_describe(p->settings.failure_reply, buf,
	    sizeof(buf)), "554 5.3.0 Local problem, message refused");
	policy_unref(p);
	free(d);
}
END_TEST

/* test_grammar - what the grammar builds: rules by stage in file order,
 * trees for any/all/not, lines of rules, macros the rules read. */
START_TEST(test_grammar)
{
	struct diags *d = calloc(1, sizeof(*d));
	const struct rule *r;
	struct policy *p;

	ck_assert_ptr_nonnull(d);
	p = load_text(
	    "# rules in file order, stages mixed\n"
	    "rule \"m1\" {\n\tstage = mail\n\tsender = \"<>\"\n"
	    "\taction = reject\n}\n"
	    "rule \"r1\" {\n\tstage = rcpt\n"
	    "\tany {\n\t\trcpt = \"a@b.example\"\n"
	    "\t\tnot {\n\t\t\tmacro = \"{auth_authen}\"\n\t\t}\n\t}\n"
	    "\tall {\n\t\trcpt_count = \">= 2\"\n\t}\n"
	    "\treply = { \"452 4.5.3 Too many\", \"recipients\" }\n}\n"
	    "rule \"m2\" {\n\tstage = mail\n\tmacro = \"i\"\n"
	    "\tmode = dry-run\n\taction = tempfail\n\tid = \"M-2\"\n}\n",
	    d);
	ck_assert_msg(p != NULL && d->n == 0, "%s", diags_text(d));
	ck_assert_uint_eq(p->nrules, 3);
	ck_assert_uint_eq(p->nstage_rules[STAGE_MAIL], 2);
	ck_assert_str_eq(p->stage_rules[STAGE_MAIL][0]->name, "m1");
	ck_assert_str_eq(p->stage_rules[STAGE_MAIL][1]->name, "m2");
	ck_assert_uint_eq(p->nstage_rules[STAGE_RCPT], 1);
	ck_assert_uint_eq(policy_stage_mask(p), (1u << STAGE_MAIL) |
	    (1u << STAGE_RCPT));
	r = policy_rule_find(p, "r1");
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->line, 7);
	ck_assert_uint_eq(r->index, 1);
	ck_assert_int_eq(r->action, POLICY_TEMPFAIL);
	ck_assert_str_eq(r->id, "r1");
	ck_assert_int_eq(r->cond->type, COND_ALL);
	ck_assert_uint_eq(r->cond->nchildren, 2);
	ck_assert_int_eq(r->cond->children[0]->type, COND_ANY);
	ck_assert_uint_eq(r->cond->children[0]->nchildren, 2);
	ck_assert_int_eq(r->cond->children[0]->children[1]->type, COND_NOT);
	ck_assert_int_eq(r->cond->children[1]->type, COND_ALL);
	ck_assert_uint_eq(reply_nlines(r->reply), 2);
	r = policy_rule_find(p, "m2");
	ck_assert(r->dry_run);
	ck_assert_str_eq(r->id, "M-2");
	ck_assert(policy_rule_find(p, "nope") == NULL);
	ck_assert(policy_needs(p, COND_MACRO));
	ck_assert(policy_needs(p, COND_RCPT_COUNT));
	ck_assert(!policy_needs(p, COND_BODY));
	ck_assert_uint_eq(p->nmacros, 2);
	policy_unref(p);
	free(d);
}
END_TEST

/* test_print_diag - "file:line: severity: message", as -n prints it. */
START_TEST(test_print_diag)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	ck_assert_ptr_nonnull(out);
	conf_print_diag(out, REGISTRY_ERROR, "/etc/x.conf", 7, "bad");
	conf_print_diag(out, REGISTRY_WARNING, "/etc/x.conf", 0, "global");
	conf_print_diag(out, REGISTRY_ERROR, NULL, 0, "no file");
	conf_print_diag(out, REGISTRY_OK, "/etc/x.conf", 1, "silent");
	fclose(out);
	ck_assert_str_eq(buf, "/etc/x.conf:7: error: bad\n"
	    "/etc/x.conf: warning: global\n"
	    "error: no file\n");
	free(buf);
}
END_TEST

/* shipped - the path of a file under the source tree's conf/. */
static const char *
shipped(const char *name, char *buf, size_t size)
{
	const char *top = getenv("abs_top_srcdir");

	snprintf(buf, size, "%s/conf/%s", top != NULL ? top : ".", name);
	return buf;
}

/* test_shipped_configs - the shipped config loads without a word; every
 * example in conf/examples loads without an error. */
START_TEST(test_shipped_configs)
{
	struct diags *d = calloc(1, sizeof(*d));
	char path[PATH_MAX + 256], dir[PATH_MAX];
	char why[DIAG_MAX * 256 + 512] = "";
	struct policy *p;
	struct dirent *e;
	unsigned n = 0;
	DIR *dp;

	ck_assert_ptr_nonnull(d);
	p = conf_load(shipped("replymilter.conf", path, sizeof(path)),
	    diag_note, d, &d->counts);
	if (p == NULL || d->n != 0)
		snprintf(why, sizeof(why), "%s:%s", path, diags_text(d));
	policy_unref(p);
	dp = opendir(shipped("examples", dir, sizeof(dir)));
	ck_assert_msg(dp != NULL, "%s: %s", dir, strerror(errno));
	while ((e = readdir(dp)) != NULL) {
		if (!ends_with(e->d_name, ".conf"))
			continue;
		memset(d, 0, sizeof(*d));
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		p = conf_load(path, diag_note, d, &d->counts);
		if (p == NULL && why[0] == '\0')
			snprintf(why, sizeof(why), "%s:%s", path, diags_text(d));
		policy_unref(p);
		n++;
	}
	closedir(dp);
	free(d);
	ck_assert_msg(why[0] == '\0', "%s", why);
	ck_assert_uint_ge(n, 12);
}
END_TEST

/* conf_suite - the cases above. */
static Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("diagnostics");

	tcase_add_loop_test(tc, test_conf, 0, NELEM(conf_cases));
	tcase_add_test(tc, test_all_errors_in_one_run);
	tcase_add_test(tc, test_nesting_too_deep);
	tcase_add_test(tc, test_nested_error_once);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_writable);
	suite_add_tcase(s, tc);
	tc = tcase_create("grammar");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_grammar);
	tcase_add_test(tc, test_print_diag);
	tcase_add_test(tc, test_shipped_configs);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite; 0 when every case passed. */
int
main(void)
{
	return check_main_run(conf_suite());
}
