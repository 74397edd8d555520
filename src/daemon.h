/*
 * daemon - replymilter as a running service: socket, privileges, PID file,
 * signals, reload, clean shutdown
 *
 * daemon_run() loads the config, opens the milter socket (removing a stale
 * unix socket only when nothing answers on it), sets its mode and owner,
 * goes to the background unless told not to, writes the PID file, drops
 * root for the configured user (and refuses to go on as root when a user is
 * configured), and runs libmilter in a thread of its own.
 *
 * Signals are replymilter's, not libmilter's: libmilter's signal thread
 * treats SIGHUP as "stop", so the main thread keeps SIGHUP, SIGTERM, SIGINT
 * and SIGUSR1 unblocked with handlers (Linux delivers a process signal to
 * the main thread first when it accepts it) and every other thread blocks
 * them.
 *   SIGHUP   re-read the config; a bad one is logged with its errors and the
 *            running policy stays; connections in flight finish on the
 *            policy they started with; a change report is logged.
 *   SIGTERM, SIGINT  stop accepting, let connections in flight finish (up
 *            to DAEMON_DRAIN_SECONDS), remove socket and PID file, exit 0.
 *   SIGUSR1  log each rule's hit counter.
 */
#ifndef REPLYMILTER_DAEMON_H
#define REPLYMILTER_DAEMON_H

#include <stdbool.h>

#include "log.h"

#define DAEMON_DRAIN_SECONDS 30

struct daemon_options {
	const char *config;	/* config file */
	const char *socket;	/* -p: overrides the config, or NULL */
	const char *user;	/* -u USER[:GROUP]: overrides, or NULL */
	const char *pidfile;	/* -P: overrides, or NULL */
	bool foreground;	/* -f: stay in front, log to stderr */
	bool has_level;
	enum log_level level;	/* -d: overrides the config's log_level */
};

/* daemon_run - run the milter until told to stop; the exit status. */
int daemon_run(const struct daemon_options *opt);

#endif
