/*
 * main - replymilter's command line
 *
 * One binary: the milter daemon, and the administrator's tools that need no
 * MTA (--codes, --explain).  Option parsing and dispatch only; each job
 * lives in its own module.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "conf.h"
#include "daemon.h"
#include "explain.h"
#include "log.h"
#include "regex_set.h"
#include "ratelimit_cmd.h"
#include "stats.h"
#include "transcript.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG SYSCONFDIR "/replymilter/replymilter.conf"

/* usage - print the usage summary to out. */
static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: replymilter [-f] [-c FILE] [-p SOCKET] [-u USER[:GROUP]] "
	    "[-P PIDFILE] [-d LEVEL]\n"
	    "       replymilter -n [-c FILE]\n"
	    "       replymilter --test [-c FILE] [TRANSCRIPT]\n"
	    "       replymilter --codes [--json]\n"
	    "       replymilter --explain [BASIC] [ENHANCED] [--stage STAGE]\n"
	    "       replymilter --stats [-c FILE] [URL]\n"
	    "       replymilter --ratelimit-show|--ratelimit-reset [-c FILE] "
	    "RULE VALUES\n"
	    "       replymilter -V | -h\n"
	    "\n"
	    "  -c FILE          the config file (default " DEFAULT_CONFIG ")\n"
	    "  -f               stay in the foreground and log to stderr\n"
	    "  -p SOCKET        the milter socket (unix:/path, inet:PORT@HOST); "
	    "overrides\n"
	    "                   the config\n"
	    "  -u USER[:GROUP]  run as this user after start-up; overrides the "
	    "config\n"
	    "  -P PIDFILE       where to write the PID; overrides the config\n"
	    "  -d LEVEL         log level: error, warning, notice, info, debug\n"
	    "                   (or 0 to 4); overrides the config\n"
	    "  -n, --check-config\n"
	    "                   check the config and exit: 0 when good "
	    "(warnings on\n"
	    "                   stderr), 78 with every FILE:LINE: problem "
	    "when not\n"
	    "  --test           replay a transaction (a file, or stdin) "
	    "against the\n"
	    "                   config and print each stage's answer\n"
	    "  --codes          print the enhanced-code registry, one code a "
	    "line:\n"
	    "                   code, basic codes, sample text, reference "
	    "(tab-separated)\n"
	    "  --json           with --codes: the same as a JSON array\n"
	    "  --stats [URL]    a running daemon's counters as a table, read\n"
	    "                   from URL or the config's metrics_listen\n"
	    "  --ratelimit-show RULE VALUES\n"
	    "                   a rule's counter in the shared store for the "
	    "key's\n"
	    "                   values, joined with ',' (e.g. "
	    "192.0.2.0/24)\n"
	    "  --ratelimit-reset RULE VALUES\n"
	    "                   clear that counter\n"
	    "  --explain CODES  what a reply pair means and whether it is "
	    "valid,\n"
	    "                   e.g. --explain 550 5.7.23; exit 0 ok, 1 "
	    "warning, 2 error\n"
	    "  --stage STAGE    with --explain: judge the pair at connect, "
	    "helo, mail,\n"
	    "                   rcpt or data\n"
	    "  -V, --version    print the version\n"
	    "  -h, --help       print this summary\n"
	    "\n"
	    "See replymilter(8) and replymilter.conf(5).\n");
}

/* parse_level - -d's level, a name or 0 (error) to 4 (debug); 0, or -1. */
static int
parse_level(const char *text, enum log_level *out)
{
	if (text[0] >= '0' && text[0] <= '4' && text[1] == '\0') {
		*out = (enum log_level)(text[0] - '0');
		return 0;
	}
	return log_level_parse(text, out);
}

/* load - the policy in path, diagnostics on stderr; NULL on error. */
static struct policy *
load(const char *path)
{
	return conf_load(path, conf_print_diag, stderr, NULL);
}

/* print_slow - a policy_slow_fn: a note on stderr for the path in arg. */
static void
print_slow(void *arg, const char *rule, const char *list, const char *pattern,
    bool icase)
{
	char where[600];

	if (list != NULL)
		snprintf(where, sizeof(where), "list \"%s\"", list);
	else
		snprintf(where, sizeof(where), "rule \"%s\"", rule);
	fprintf(stderr, "%s: note: %s: /%s/%s runs on regexec alone, outside "
	    "the one-pass scan: the same meaning, only slower (a GNU escape "
	    "such as \\w or \\b, a back-reference, a backslash or [. .] "
	    "inside brackets, a repetition of a repetition; without them it "
	    "joins the scan)\n", (const char *)arg, where, pattern,
	    icase ? "i" : "");
}

/* check_config - replymilter -n: the exit status for the file at path;
 * notes for the patterns the one-pass engine leaves to regexec. */
static int
check_config(const char *path)
{
	struct policy *p = load(path);

	if (p == NULL)
		return EX_CONFIG;
	(void)policy_regex_slow(p, print_slow, (void *)path);
	policy_unref(p);
	return 0;
}

/* print_stats - replymilter --stats: the counters at url, or at the
 * config's metrics_listen when url is NULL. */
static int
print_stats(const char *path, const char *url)
{
	char buf[300], err[512];

	if (url == NULL) {
		struct policy *p = load(path);

		if (p == NULL)
			return EX_CONFIG;
		if (policy_settings(p)->metrics_listen[0] == '\0') {
			fprintf(stderr, "replymilter: --stats: metrics_listen "
			    "is off in %s: set it (and restart), or give the "
			    "URL\n", path);
			policy_unref(p);
			return EX_CONFIG;
		}
		url = stats_url(policy_settings(p)->metrics_listen, buf,
		    sizeof(buf));
		policy_unref(p);
	}
	if (stats_print(url, stdout, err, sizeof(err)) != 0) {
		fprintf(stderr, "replymilter: --stats: %s\n", err);
		return EX_UNAVAILABLE;
	}
	return 0;
}

/* ratelimit - --ratelimit-show and --ratelimit-reset RULE VALUES. */
static int
ratelimit(const char *path, int argc, char **argv, bool reset)
{
	struct policy *p;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "replymilter: --ratelimit-%s RULE VALUES, e.g. "
		    "--ratelimit-%s connection-flood 192.0.2.7\n", reset ?
		    "reset" : "show", reset ? "reset" : "show");
		return EX_USAGE;
	}
	if ((p = load(path)) == NULL)
		return EX_CONFIG;
	rc = ratelimit_cmd(p, argv[0], argv[1], reset, stdout, stderr);
	policy_unref(p);
	return rc;
}

/* test_transcript - replymilter --test: replay file (stdin when NULL). */
static int
test_transcript(const char *path, const char *file)
{
	struct policy *p = load(path);
	FILE *in = stdin;
	int rc;

	if (p == NULL)
		return EX_CONFIG;
	if (file != NULL && strcmp(file, "-") != 0 &&
	    (in = fopen(file, "r")) == NULL) {
		fprintf(stderr, "replymilter: %s: %s\n", file, strerror(errno));
		policy_unref(p);
		return EX_NOINPUT;
	}
	/* Decisions are shown by the transcript; the log says only what
	 * went wrong. */
	log_open("replymilter", 0, true);
	log_set_level(LOG_LEVEL_WARNING);
	rc = transcript_run(p, in, file != NULL ? file : "stdin", stdout);
	if (in != stdin)
		fclose(in);
	policy_unref(p);
	return rc;
}

int
main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "check-config", no_argument, NULL, 'n' },
		{ "test", no_argument, NULL, 'T' },
		{ "codes", no_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'J' },
		{ "explain", no_argument, NULL, 'E' },
		{ "stats", no_argument, NULL, 'A' },
		{ "ratelimit-show", no_argument, NULL, 'R' },
		{ "ratelimit-reset", no_argument, NULL, 'X' },
		{ "stage", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	enum registry_stage stage = REGISTRY_STAGE_ANY;
	bool codes = false, json = false, explain = false, check = false;
	bool test = false, stats = false, rl_show = false, rl_reset = false;
	struct daemon_options dopt = { .config = DEFAULT_CONFIG };
	int c;

	while ((c = getopt_long(argc, argv, "c:d:fhnp:u:P:V", options, NULL))
	    != -1) {
		switch (c) {
		case 'c':
			dopt.config = optarg;
			break;
		case 'f':
			dopt.foreground = true;
			break;
		case 'p':
			dopt.socket = optarg;
			break;
		case 'u':
			dopt.user = optarg;
			break;
		case 'P':
			dopt.pidfile = optarg;
			break;
		case 'd':
			if (parse_level(optarg, &dopt.level) != 0) {
				fprintf(stderr, "replymilter: -d %s: use error, "
				    "warning, notice, info, debug or 0 to 4\n",
				    optarg);
				return EX_USAGE;
			}
			dopt.has_level = true;
			break;
		case 'n':
			check = true;
			break;
		case 'T':
			test = true;
			break;
		case 'C':
			codes = true;
			break;
		case 'J':
			json = true;
			break;
		case 'E':
			explain = true;
			break;
		case 'A':
			stats = true;
			break;
		case 'R':
			rl_show = true;
			break;
		case 'X':
			rl_reset = true;
			break;
		case 'S':
			if (explain_stage_parse(optarg, &stage) != 0) {
				fprintf(stderr, "replymilter: unknown stage "
				    "\"%s\" (connect, helo, mail, rcpt, data)\n",
				    optarg);
				return EX_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("replymilter %s\n", PACKAGE_VERSION);
			printf("regex engine: %s\n", regex_set_engine());
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (codes)
		return explain_codes(stdout, json);
	if (explain)
		return explain_pair(stdout, argc - optind, argv + optind,
		    stage);
	if (check)
		return check_config(dopt.config);
	if (stats)
		return print_stats(dopt.config, optind < argc ? argv[optind] :
		    NULL);
	if (rl_show || rl_reset)
		return ratelimit(dopt.config, argc - optind, argv + optind,
		    rl_reset);
	if (test)
		return test_transcript(dopt.config, optind < argc ?
		    argv[optind] : NULL);
	if (optind < argc) {
		usage(stderr);
		return EX_USAGE;
	}
	return daemon_run(&dopt);
}
