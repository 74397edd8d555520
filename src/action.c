/*
 * action - turn a flow's decision into what libmilter sends
 */
#include "config.h"

#include "action.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

/* set_reply - hand the rendered reply to libmilter; 0, or -1. */
static int
set_reply(SMFICTX *ctx, const struct reply_rendered *rr)
{
	const char *l[REPLY_MAX_LINES + 1] = { NULL };
	char *xcode = rr->xcode[0] != '\0' ? (char *)rr->xcode : NULL;

	if (rr->nlines <= 1)
		return smfi_setreply(ctx, (char *)rr->basic, xcode,
		    rr->nlines == 1 ? (char *)rr->lines[0] : NULL) ==
		    MI_SUCCESS ? 0 : -1;
	for (unsigned i = 0; i < rr->nlines; i++)
		l[i] = rr->lines[i];
	/* The list ends at the first NULL; the rest are NULL too. */
	return smfi_setmlreply(ctx, rr->basic, xcode, l[0], l[1], l[2], l[3],
	    l[4], l[5], l[6], l[7], l[8], l[9], l[10], l[11], l[12], l[13],
	    l[14], l[15], l[16], l[17], l[18], l[19], l[20], l[21], l[22],
	    l[23], l[24], l[25], l[26], l[27], l[28], l[29], l[30], l[31],
	    (char *)NULL) == MI_SUCCESS ? 0 : -1;
}

sfsistat
action_apply(SMFICTX *ctx, const struct flow_result *res)
{
	switch (res->outcome) {
	case FLOW_CONTINUE:
		return SMFIS_CONTINUE;
	case FLOW_ACCEPT:
		return SMFIS_ACCEPT;
	case FLOW_DISCARD:
		return SMFIS_DISCARD;
	case FLOW_REJECT:
	case FLOW_TEMPFAIL:
	case FLOW_FAIL:
		break;
	}
	if (set_reply(ctx, res->rendered) != 0)
		log_warnx("libmilter refused the reply \"%s\"; the MTA sends "
		    "its default %s text", res->text,
		    res->rendered->basic[0] == '5' ? "reject" : "tempfail");
	/* The class of the reply decides: libmilter drops a text whose
	 * class differs from the return code. */
	return res->rendered->basic[0] == '5' ? SMFIS_REJECT : SMFIS_TEMPFAIL;
}

int
action_add_headers(SMFICTX *ctx, const struct flow *f, char *why, size_t size)
{
	const struct flow_header *h;
	unsigned n;

	h = flow_headers(f, &n);
	for (unsigned i = 0; i < n; i++)
		if ((h[i].prepend ? smfi_insheader(ctx, 0, (char *)h[i].name,
		    (char *)h[i].value) : smfi_addheader(ctx, (char *)h[i].name,
		    (char *)h[i].value)) != MI_SUCCESS) {
			snprintf(why, size, "libmilter refused to add header "
			    "%s (was SMFIF_ADDHDRS negotiated?)", h[i].name);
			return -1;
		}
	return 0;
}

int
action_delete_headers(SMFICTX *ctx, const char *name, const unsigned *idx,
    unsigned n, char *why, size_t size)
{
	/* From the last: deleting one does not renumber those before it. */
	for (unsigned i = n; i > 0; i--)
		if (smfi_chgheader(ctx, (char *)name, (int)idx[i - 1], NULL) !=
		    MI_SUCCESS) {
			snprintf(why, size, "libmilter refused to delete %s "
			    "header %u (was SMFIF_CHGHDRS negotiated?)", name,
			    idx[i - 1]);
			return -1;
		}
	return 0;
}
