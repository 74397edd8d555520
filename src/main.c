/*
 * main - replymilter's command line
 *
 * One binary: the milter daemon, and the administrator's tools that need no
 * MTA (--codes, --explain).  Option parsing and dispatch only; each job
 * lives in its own module.
 */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "explain.h"

/* usage - print the usage summary to out. */
static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: replymilter [-f] [-c FILE] [-p SOCKET] [-u USER[:GROUP]] "
	    "[-P PIDFILE] [-d LEVEL]\n"
	    "       replymilter --codes [--json]\n"
	    "       replymilter --explain [BASIC] [ENHANCED] [--stage STAGE]\n"
	    "       replymilter -V | -h\n"
	    "\n"
	    "  --codes          print the enhanced-code registry, one code a "
	    "line:\n"
	    "                   code, basic codes, sample text, reference "
	    "(tab-separated)\n"
	    "  --json           with --codes: the same as a JSON array\n"
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

int
main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "codes", no_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'J' },
		{ "explain", no_argument, NULL, 'E' },
		{ "stage", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	enum registry_stage stage = REGISTRY_STAGE_ANY;
	bool codes = false, json = false, explain = false;
	int c;

	while ((c = getopt_long(argc, argv, "hV", options, NULL)) != -1) {
		switch (c) {
		case 'C':
			codes = true;
			break;
		case 'J':
			json = true;
			break;
		case 'E':
			explain = true;
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
	usage(stderr);
	return EX_USAGE;
}
