/*
 * daemon - replymilter as a running service: socket, privileges, PID file,
 * signals, reload, clean shutdown
 */
#include "config.h"

#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "conf.h"
#include "flow.h"
#include "limiter.h"
#include "metrics.h"
#include "metrics_http.h"
#include "milter.h"

/* What the running daemon needs to remember. */
struct daemon {
	const struct daemon_options *opt;
	char *socket;		/* as given to libmilter */
	char *unix_path;	/* the socket file, or NULL for inet */
	char *metrics_path;	/* the metrics' socket file, or NULL */
	char *pidfile;		/* NULL or "" for none */
	bool pidfile_written;
	uid_t uid;
	gid_t gid;
	bool switch_user;
	char *user_name;
};

static int signal_pipe[2] = { -1, -1 };

/* on_signal - the handler: pass the signal number to the main loop. */
static void
on_signal(int sig)
{
	unsigned char b = (unsigned char)sig;
	int saved = errno;

	(void)!write(signal_pipe[1], &b, 1);
	errno = saved;
}

/* startup_diag - config diagnostics at start: stderr, and the log. */
static void
startup_diag(void *arg, enum registry_severity severity, const char *file,
    unsigned line, const char *message)
{
	(void)arg;
	conf_print_diag(stderr, severity, file, line, message);
}

/* reload_diag - config diagnostics at reload: the log. */
static void
reload_diag(void *arg, enum registry_severity severity, const char *file,
    unsigned line, const char *message)
{
	(void)arg;
	if (severity == REGISTRY_OK)
		return;
	log_msg(severity == REGISTRY_ERROR ? LOG_LEVEL_ERROR :
	    LOG_LEVEL_WARNING, "%s:%u: %s: %s", file != NULL ? file : "config",
	    line, registry_severity_name(severity), message);
}

/* unix_path_of - the file of a unix socket spec, or NULL for inet. */
static char *
unix_path_of(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return strdup(spec + 5);
	if (strncmp(spec, "local:", 6) == 0)
		return strdup(spec + 6);
	if (spec[0] == '/')
		return strdup(spec);
	return NULL;
}

/* make_parent - create the folder of path when missing, owned by the
 * daemon's user; 0, or -1 (logged). */
static int
make_parent(struct daemon *d, const char *path)
{
	char dir[4096];
	char *slash;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (stat(dir, &st) == 0)
		return 0;
	if (mkdir(dir, 0755) != 0) {
		log_warn("cannot create %s", dir);
		return -1;
	}
	if (d->switch_user && chown(dir, d->uid, d->gid) != 0) {
		log_warn("cannot give %s to %s", dir, d->user_name);
		return -1;
	}
	log_info("created %s", dir);
	return 0;
}

/* clear_stale_socket - remove a socket file nobody listens on; 0 when the
 * path is free, -1 when something else is there (logged). */
static int
clear_stale_socket(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : (log_warn("%s", path), -1);
	if (!S_ISSOCK(st.st_mode)) {
		log_warnx("%s exists and is not a socket: not removing it; "
		    "choose another socket path", path);
		return -1;
	}
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("%s: path too long for a unix socket", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0) {
		log_warn("socket");
		return -1;
	}
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (rc == 0) {
		log_warnx("%s: another milter is listening there; is "
		    "replymilter already running?", path);
		return -1;
	}
	if (unlink(path) != 0) {
		log_warn("cannot remove the stale socket %s", path);
		return -1;
	}
	log_info("removed the stale socket %s", path);
	return 0;
}

/* resolve_user - look up USER[:GROUP]; 0, or -1 (logged). */
static int
resolve_user(struct daemon *d, const char *spec)
{
	char name[256], *group;
	struct passwd *pw;
	struct group *gr;

	if (snprintf(name, sizeof(name), "%s", spec) >= (int)sizeof(name)) {
		log_warnx("user %.40s...: name too long", spec);
		return -1;
	}
	if ((group = strchr(name, ':')) != NULL)
		*group++ = '\0';
	if ((pw = getpwnam(name)) == NULL) {
		log_warnx("user %s: no such user", name);
		return -1;
	}
	if (pw->pw_uid == 0) {
		log_warnx("user %s is root: give an unprivileged user, or none",
		    name);
		return -1;
	}
	d->uid = pw->pw_uid;
	d->gid = pw->pw_gid;
	if (group != NULL) {
		if ((gr = getgrnam(group)) == NULL) {
			log_warnx("group %s: no such group", group);
			return -1;
		}
		d->gid = gr->gr_gid;
	}
	d->user_name = strdup(name);
	if (getuid() != 0 && getuid() != d->uid) {
		log_warnx("user %s: only root can switch to it", name);
		return -1;
	}
	d->switch_user = getuid() == 0;
	return 0;
}

/* drop_root - become the configured user for good; 0, or -1 (logged). */
static int
drop_root(struct daemon *d)
{
	if (!d->switch_user)
		return 0;
	if (setgroups(1, &d->gid) != 0 || setgid(d->gid) != 0 ||
	    setuid(d->uid) != 0) {
		log_warn("cannot become user %s", d->user_name);
		return -1;
	}
	/* A configured user means never root again: check it holds. */
	if (getuid() == 0 || geteuid() == 0 || setuid(0) == 0) {
		log_warnx("still root after switching to %s: refusing to run",
		    d->user_name);
		return -1;
	}
	log_info("running as user %s", d->user_name);
	return 0;
}

/* write_pidfile - the PID file, refusing when a live process owns it; 0,
 * or -1 (logged). */
static int
write_pidfile(struct daemon *d)
{
	char buf[32];
	FILE *fp;
	long pid;

	if (d->pidfile == NULL || d->pidfile[0] == '\0')
		return 0;
	if ((fp = fopen(d->pidfile, "r")) != NULL) {
		if (fscanf(fp, "%ld", &pid) == 1 && pid > 0 &&
		    pid != (long)getpid() && kill((pid_t)pid, 0) == 0) {
			fclose(fp);
			log_warnx("%s: replymilter is already running as PID "
			    "%ld", d->pidfile, pid);
			return -1;
		}
		fclose(fp);
	}
	if (make_parent(d, d->pidfile) != 0)
		return -1;
	snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if ((fp = fopen(d->pidfile, "w")) == NULL ||
	    fputs(buf, fp) == EOF || fclose(fp) != 0) {
		log_warn("cannot write %s", d->pidfile);
		return -1;
	}
	d->pidfile_written = true;
	return 0;
}

/* open_socket - hand the socket to libmilter and create it now, as root,
 * with its mode and owner; 0, or -1 (logged). */
static int
open_socket(struct daemon *d, const struct policy *p)
{
	d->unix_path = unix_path_of(d->socket);
	if (d->unix_path != NULL && (make_parent(d, d->unix_path) != 0 ||
	    clear_stale_socket(d->unix_path) != 0))
		return -1;
	if (smfi_setconn(d->socket) != MI_SUCCESS ||
	    smfi_settimeout(policy_settings(p)->timeout) != MI_SUCCESS ||
	    smfi_register(*milter_desc()) != MI_SUCCESS) {
		log_warnx("libmilter refused the socket %s", d->socket);
		return -1;
	}
	if (smfi_opensocket(false) != MI_SUCCESS) {
		log_warnx("cannot open the milter socket %s", d->socket);
		return -1;
	}
	if (d->unix_path == NULL)
		return 0;
	if (chmod(d->unix_path, policy_settings(p)->socket_mode) != 0) {
		log_warn("chmod %s", d->unix_path);
		return -1;
	}
	if (d->switch_user && chown(d->unix_path, d->uid, d->gid) != 0) {
		log_warn("chown %s", d->unix_path);
		return -1;
	}
	return 0;
}

/* milter_thread - libmilter's main loop; tells the main loop when it ends. */
static void *
milter_thread(void *arg)
{
	unsigned char b = 0;	/* 0: libmilter ended by itself */
	int rc = smfi_main();

	(void)arg;
	if (rc != MI_SUCCESS)
		log_warnx("libmilter stopped with an error");
	(void)!write(signal_pipe[1], &b, 1);
	return NULL;
}

/* same_codes - whether replies a and b send the same basic and enhanced
 * codes. */
static bool
same_codes(const struct reply *a, const struct reply *b)
{
	const struct registry_xcode *xa = reply_xcode(a), *xb = reply_xcode(b);

	return reply_basic(a) == reply_basic(b) && (xa == NULL) == (xb == NULL)
	    && (xa == NULL || memcmp(xa, xb, sizeof(*xa)) == 0);
}

/* report_changes - the reload's change report. */
static void
report_changes(const struct policy *old, const struct policy *new)
{
	char a[2048], b[2048], ra[512], rb[512];
	unsigned added = 0, removed = 0, changed = 0;

	for (unsigned i = 0; i < policy_nrules(new); i++) {
		const struct rule *n = policy_rule(new, i);
		const char *name = policy_rule_name(n);
		const struct rule *o = policy_rule_find(old, name);
		const struct reply *ow, *nw;

		if (o == NULL) {
			log_info("reload: rule %s added (stage %s, %s)", name,
			    stage_name(policy_rule_stage(n)),
			    policy_action_name(policy_rule_action(n)));
			added++;
			continue;
		}
		if (strcmp(policy_rule_fingerprint(o, a, sizeof(a)),
		    policy_rule_fingerprint(n, b, sizeof(b))) == 0)
			continue;
		changed++;
		ow = policy_rule_wire(o);
		nw = policy_rule_wire(n);
		if (ow != NULL && nw != NULL && !same_codes(ow, nw))
			log_info("reload: rule %s changed; its reply codes "
			    "changed: %s -> %s", name,
			    reply_describe(ow, ra, sizeof(ra)),
			    reply_describe(nw, rb, sizeof(rb)));
		else
			log_info("reload: rule %s changed", name);
	}
	for (unsigned i = 0; i < policy_nrules(old); i++) {
		const char *name = policy_rule_name(policy_rule(old, i));

		if (policy_rule_find(new, name) == NULL) {
			log_info("reload: rule %s removed", name);
			removed++;
		}
	}
	log_info("reload: %u rules; %u added, %u removed, %u changed",
	    policy_nrules(new), added, removed, changed);
}

/* trim_after_load - nothing; gives back to the system the memory a load
 * used and freed (libconfuse's tree, the regex compilers' working space:
 * a large policy's load peaks at several times what it keeps). */
static void
trim_after_load(void)
{
#ifdef HAVE_MALLOC_TRIM
	(void)malloc_trim(0);
#endif
}

/* reload - SIGHUP: the new policy, or the old one kept. */
static void
reload(struct daemon *d)
{
	struct conf_counts counts;
	struct policy *new, *old;

	log_info("reload: reading %s", d->opt->config);
	new = conf_load(d->opt->config, reload_diag, NULL, &counts);
	if (new == NULL) {
		log_msg(LOG_LEVEL_ERROR, "reload: %s has %u error%s; the "
		    "running policy stays", d->opt->config, counts.errors,
		    counts.errors == 1 ? "" : "s");
		metrics_reloaded(false);
		trim_after_load();
		return;
	}
	old = milter_policy();
	if (old != NULL) {
		const struct policy_settings *os = policy_settings(old);
		const struct policy_settings *ns = policy_settings(new);

		if (strcmp(os->metrics_listen, ns->metrics_listen) != 0)
			log_warnx("reload: a metrics_listen change takes "
			    "effect at the next restart");
		if (strcmp(os->ratelimit_store, ns->ratelimit_store) != 0 ||
		    os->ratelimit_tempfail != ns->ratelimit_tempfail ||
		    os->ratelimit_max_keys != ns->ratelimit_max_keys ||
		    os->ratelimit_timeout_ms != ns->ratelimit_timeout_ms)
			log_warnx("reload: ratelimit_store, ratelimit_on_error, "
			    "ratelimit_timeout and ratelimit_max_keys changes "
			    "take effect at the next restart (the counters "
			    "stay)");
		if (strcmp(os->socket, ns->socket) != 0 ||
		    (os->user == NULL) != (ns->user == NULL) ||
		    (os->user != NULL && strcmp(os->user, ns->user) != 0))
			log_warnx("reload: socket and user changes take effect "
			    "at the next restart");
	}
	if (!d->opt->has_level)
		log_set_level(policy_settings(new)->log_level);
	log_set_format(policy_settings(new)->log_format);
	limiter_configure(policy_settings(new)->greylist_prefix_v4,
	    policy_settings(new)->greylist_prefix_v6,
	    policy_settings(new)->greylist_auto_allow);
	policy_carry_counts(new, old);
	milter_set_policy(policy_ref(new));
	metrics_reloaded(true);
	/* The report comes once the new policy serves, so its last line
	 * means "reloaded". */
	if (old != NULL) {
		report_changes(old, new);
		policy_unref(old);
	}
	policy_unref(new);
	trim_after_load();
}

/* report_hits - SIGUSR1: every rule's hit counter. */
static void
report_hits(void)
{
	struct policy *p = milter_policy();

	if (p == NULL)
		return;
	for (unsigned i = 0; i < policy_nrules(p); i++) {
		const struct rule *r = policy_rule(p, i);

		log_msg(LOG_LEVEL_NOTICE, "hits: rule=%s id=%s stage=%s hits=%lu",
		    policy_rule_name(r), policy_rule_id(r),
		    stage_name(policy_rule_stage(r)), policy_rule_hits(r));
	}
	log_msg(LOG_LEVEL_NOTICE, "hits: %u connections open", milter_active());
	for (int cause = 0; cause < FLOW_FAIL_COUNT; cause++)
		log_msg(LOG_LEVEL_NOTICE, "failures: cause=%s count=%lu",
		    flow_fail_cause_name((enum flow_fail_cause)cause),
		    flow_failures((enum flow_fail_cause)cause));
	policy_unref(p);
}

/* stopper - smfi_stop can wait for libmilter's listener to wake (up to
 * five seconds); running it aside lets the daemon stop promptly. */
static void *
stopper(void *arg)
{
	(void)arg;
	smfi_stop();
	return NULL;
}

/* drain - after smfi_stop: wait for connections in flight to finish. */
static void
drain(void)
{
	time_t until = time(NULL) + DAEMON_DRAIN_SECONDS;

	while (milter_active() > 0 && time(NULL) < until) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	if (milter_active() > 0)
		log_warnx("stopping with %u connections still open; their MTA "
		    "applies its milter default action", milter_active());
}

/* main_loop - wait for signals; the exit status. */
static int
main_loop(struct daemon *d)
{
	for (;;) {
		unsigned char b;
		ssize_t n = read(signal_pipe[0], &b, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return EX_SOFTWARE;
		switch (b) {
		case SIGHUP:
			reload(d);
			break;
		case SIGUSR1:
			report_hits();
			break;
		case SIGTERM:
		case SIGINT:
			log_info("stopping (signal %d): no new connections, "
			    "%u in flight", b, milter_active());
			{
				pthread_t tid;

				if (pthread_create(&tid, NULL, stopper, NULL) == 0)
					pthread_detach(tid);
			}
			drain();
			return 0;
		case 0:
			log_msg(LOG_LEVEL_ERROR, "libmilter ended unexpectedly");
			return EX_SOFTWARE;
		default:
			break;
		}
	}
}

/* block_signals - block (or unblock) the daemon's signals in this
 * thread. */
static void
block_signals(int how)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(how, &set, NULL);
}

/* open_limiter - the rate limits' and greylisting's store, kept for the
 * daemon's life (a reload keeps the counters); 0, or -1 (said on
 * stderr). */
static int
open_limiter(const struct policy_settings *s)
{
	char err[256];

	limiter_configure(s->greylist_prefix_v4, s->greylist_prefix_v6,
	    s->greylist_auto_allow);
	if (limiter_open(s->ratelimit_store, s->ratelimit_tempfail ?
	    LIMITER_ON_ERROR_TEMPFAIL : LIMITER_ON_ERROR_LOCAL,
	    s->ratelimit_max_keys, s->ratelimit_timeout_ms, err,
	    sizeof(err)) != 0) {
		log_warnx("ratelimit_store \"%s\": %s", s->ratelimit_store,
		    err);
		return -1;
	}
	return 0;
}

/* start_metrics - serve the metrics on listen; 0, or -1 (logged).  A unix
 * socket is prepared like the milter's (its folder made, a stale one
 * removed) and given to the daemon's user, mode 0660: a scraper reads it
 * as a member of that group. */
static int
start_metrics(struct daemon *d, const char *listen, bool allow_remote)
{
	const char *path = metrics_http_unix_path(listen);
	char why[256];
	int rc;

	if (path != NULL && (make_parent(d, path) != 0 ||
	    clear_stale_socket(path) != 0))
		return -1;
	block_signals(SIG_BLOCK);
	rc = metrics_http_start(listen, !allow_remote, why, sizeof(why));
	block_signals(SIG_UNBLOCK);
	if (rc != 0) {
		log_warnx("metrics_listen: %s", why);
		return -1;
	}
	if (path != NULL) {
		if ((d->metrics_path = strdup(path)) == NULL) {
			log_warnx("out of memory");
			return -1;
		}
		if (chmod(path, 0660) != 0 || (d->switch_user &&
		    chown(path, d->uid, d->gid) != 0)) {
			log_warn("cannot set the owner and mode of %s", path);
			return -1;
		}
		log_info("metrics on %s (GET /metrics)", listen);
	} else {
		log_info("metrics on http://%s/metrics", listen);
	}
	return 0;
}

/* install_handlers - our handlers for the daemon's signals. */
static int
install_handlers(void)
{
	static const int sigs[] = { SIGHUP, SIGTERM, SIGINT, SIGUSR1 };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) != 0)
			return -1;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* cleanup - remove what the daemon created. */
static void
cleanup(struct daemon *d)
{
	if (d->unix_path != NULL && unlink(d->unix_path) != 0 &&
	    errno != ENOENT)
		log_warn("cannot remove %s", d->unix_path);
	if (d->pidfile_written && unlink(d->pidfile) != 0 && errno != ENOENT)
		log_warn("cannot remove %s", d->pidfile);
	if (d->metrics_path != NULL && unlink(d->metrics_path) != 0 &&
	    errno != ENOENT)
		log_warn("cannot remove %s", d->metrics_path);
	free(d->socket);
	free(d->unix_path);
	free(d->metrics_path);
	free(d->pidfile);
	free(d->user_name);
}

int
daemon_run(const struct daemon_options *opt)
{
	struct daemon d = { .opt = opt };
	struct conf_counts counts;
	struct policy *p;
	const char *user;
	pthread_t tid;
	unsigned nrules = 0, nlists = 0;
	int rc = EX_OSERR;

	log_open("replymilter", 0, true);
	p = conf_load(opt->config, startup_diag, NULL, &counts);
	trim_after_load();
	if (p == NULL) {
		fprintf(stderr, "replymilter: %s: %u error%s; not starting\n",
		    opt->config, counts.errors, counts.errors == 1 ? "" : "s");
		return EX_CONFIG;
	}
	log_open("replymilter", policy_settings(p)->syslog_facility, opt->foreground);
	log_set_level(opt->has_level ? opt->level : policy_settings(p)->log_level);
	log_set_format(policy_settings(p)->log_format);
	if (open_limiter(policy_settings(p)) != 0) {
		policy_unref(p);
		return EX_CONFIG;
	}
	d.socket = strdup(opt->socket != NULL ? opt->socket :
	    policy_settings(p)->socket);
	d.pidfile = strdup(opt->pidfile != NULL ? opt->pidfile :
	    policy_settings(p)->pidfile);
	user = opt->user != NULL ? opt->user : policy_settings(p)->user != NULL ?
	    policy_settings(p)->user : NULL;
	if (user != NULL && policy_settings(p)->group != NULL && opt->user == NULL) {
		static char spec[512];

		snprintf(spec, sizeof(spec), "%s:%s", user, policy_settings(p)->group);
		user = spec;
	}
	if (d.socket == NULL || d.pidfile == NULL ||
	    (user != NULL && resolve_user(&d, user) != 0) ||
	    open_socket(&d, p) != 0)
		goto out;
	if (!opt->foreground) {
		if (daemon(0, 0) != 0) {
			log_warn("cannot go to the background");
			goto out;
		}
		log_open("replymilter", policy_settings(p)->syslog_facility, false);
	}
	if (write_pidfile(&d) != 0)
		goto out;
	metrics_started();
	/* Before dropping root (a port below 1024 is the admin's call), after
	 * going to the background (a fork keeps no threads), with the
	 * daemon's signals blocked (its thread must not take them). */
	if (policy_settings(p)->metrics_listen[0] != '\0' &&
	    start_metrics(&d, policy_settings(p)->metrics_listen,
	    policy_settings(p)->metrics_allow_remote) != 0)
		goto out;
	if (drop_root(&d) != 0)
		goto out;
	if (pipe(signal_pipe) != 0) {
		log_warn("pipe");
		goto out;
	}
	/* From here the milter holds the policy: a reload must be able to
	 * free it. */
	milter_set_policy(p);
	nrules = policy_nrules(p);
	nlists = policy_nlists(p);
	p = NULL;
	/* libmilter's threads inherit the blocked mask; only the main
	 * thread takes the daemon's signals. */
	block_signals(SIG_BLOCK);
	if (pthread_create(&tid, NULL, milter_thread, NULL) != 0) {
		log_warn("cannot start libmilter");
		goto out;
	}
	pthread_detach(tid);
	if (install_handlers() != 0) {
		log_warn("sigaction");
		goto out;
	}
	block_signals(SIG_UNBLOCK);
	metrics_http_ready(true);
	log_info("replymilter %s started on %s with %s: %u rules, %u lists",
	    PACKAGE_VERSION, d.socket, opt->config, nrules, nlists);
	rc = main_loop(&d);
	log_info("replymilter stopped");
out:
	metrics_http_ready(false);
	metrics_http_stop();
	cleanup(&d);
	milter_shutdown();
	limiter_close();
	policy_unref(p);
	return rc;
}
