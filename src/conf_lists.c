/*
 * conf_lists - the list sections: named lists from entries and files
 *
 * Each `list "NAME" { type = ...; entries = ...; file = ... }` becomes a
 * frozen struct list in the policy, which conditions then borrow by name
 * (list:NAME); a file is taken from the including file's folder unless its
 * path is absolute.  A bad entry is reported at its own file:line when it
 * comes from a file, else at the option's line (conf_list_error, which the
 * inline values of conditions use too).
 */
#include "config.h"

#include "conf_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spell.h"

/* conf_list_error - a list_error_fn: a bad list entry, at its file's line
 * or the option's. */
void
conf_list_error(void *arg, const char *file, unsigned line,
    const char *message)
{
	struct conf_list_ctx *lc = arg;
	struct conf_where at = { file, line };

	if (file == NULL)
		at = conf_at(lc->ld, lc->bufline);
	conf_report(lc->ld, REGISTRY_ERROR, at, "%s: %s", lc->what, message);
}

/* conf_find_list - p's list named name, or NULL. */
struct policy_named_list *
conf_find_list(struct policy *p, const char *name)
{
	for (unsigned i = 0; i < p->nlists; i++)
		if (strcmp(p->lists[i].name, name) == 0)
			return &p->lists[i];
	return NULL;
}

/* list_name_at - spell_nearest's view of the named lists. */
static const char *
list_name_at(const void *arg, size_t i)
{
	return ((const struct policy *)arg)->lists[i].name;
}

/* conf_nearest_list - the name of p's list closest to name, or NULL. */
const char *
conf_nearest_list(const struct policy *p, const char *name)
{
	return spell_nearest(name, list_name_at, p, p->nlists);
}

/* conf_build_lists - every list section into p, loaded and frozen. */
void
conf_build_lists(struct conf_loader *ld, cfg_t *cfg, struct policy *p)
{
	unsigned n = cfg_size(cfg, "list");

	if (n > 0 && (p->lists = calloc(n, sizeof(*p->lists))) == NULL) {
		conf_oom(ld);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		cfg_t *sec = cfg_getnsec(cfg, "list", i);
		const char *name = cfg_title(sec), *type;
		int line = (int)confread_section_line(ld->text, "list", name);
		struct policy_named_list *nl = &p->lists[p->nlists];
		enum list_kind kind;
		char what[128];
		struct conf_list_ctx lc = { ld, line, what };

		snprintf(what, sizeof(what), "list \"%s\"", name);
		if (!conf_name_ok(name))
			conf_report(ld, REGISTRY_ERROR, conf_at(ld, line),
			    "list \"%s\": a name has letters, digits, '.', "
			    "'_', ':' and '-' only", name);
		type = cfg_getstr(sec, "type");
		if (type == NULL) {
			conf_report(ld, REGISTRY_ERROR, conf_at(ld, line),
			    "%s: give its type: type = cidr, domain, address "
			    "or regex", what);
			continue;
		}
		if (list_kind_parse(type, &kind) != 0) {
			conf_report(ld, REGISTRY_ERROR,
			    conf_at(ld, conf_opt_line(ld, sec, "type", line)),
			    "%s: unknown type \"%s\": use cidr, domain, "
			    "address or regex", what, type);
			continue;
		}
		if (cfg_size(sec, "entries") == 0 && cfg_size(sec, "file") == 0)
			conf_report(ld, REGISTRY_WARNING, conf_at(ld, line),
			    "%s has neither entries nor file: it is empty, so "
			    "rules using it never match", what);
		if ((nl->list = list_new(name, kind)) == NULL ||
		    (nl->name = strdup(name)) == NULL) {
			list_free(nl->list);
			conf_oom(ld);
			return;
		}
		nl->line = (unsigned)line;
		p->nlists++;
		lc.bufline = conf_opt_line(ld, sec, "entries", line);
		for (unsigned k = 0; k < cfg_size(sec, "entries"); k++)
			(void)list_add(nl->list, cfg_getnstr(sec, "entries", k),
			    conf_list_error, &lc);
		for (unsigned k = 0; k < cfg_size(sec, "file"); k++) {
			const char *file = cfg_getnstr(sec, "file", k);
			int fline = conf_opt_line(ld, sec, "file", line);
			const char *from = conf_at(ld, fline).file;
			const char *slash = strrchr(from, '/');
			char full[4096];

			if (file[0] == '/' || slash == NULL)
				snprintf(full, sizeof(full), "%s", file);
			else
				snprintf(full, sizeof(full), "%.*s/%s",
				    (int)(slash - from), from, file);
			conf_warn_writable(ld, conf_at(ld, fline), full);
			errno = 0;
			/* conf_list_error reports bad lines (errno EINVAL); a
			 * file that cannot be read only sets errno. */
			if (list_load_file(nl->list, full, conf_list_error,
			    &lc) != 0 && errno != EINVAL)
				conf_report(ld, REGISTRY_ERROR,
				    conf_at(ld, fline), "%s: cannot read "
				    "%s: %s", what, full, errno != 0 ?
				    strerror(errno) : "unknown error");
		}
		if (list_freeze(nl->list) != 0)
			conf_oom(ld);
	}
}
