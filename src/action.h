/*
 * action - turn a flow's decision into what libmilter sends
 *
 * The only caller of smfi_setreply, smfi_setmlreply, smfi_addheader,
 * smfi_insheader and smfi_chgheader.
 * A reject or tempfail gets its rendered reply set (one line, or several
 * with smfi_setmlreply) and the SMFIS_* code whose class matches the reply
 * (libmilter drops a custom text otherwise); a failure (FLOW_FAIL, made by
 * flow_failure) is applied like any reply of its class.  When libmilter refuses a reply (it should not: the config
 * loader checked every reply against libmilter's rules), the refusal is
 * logged and the answer keeps its class with libmilter's default text.
 */
#ifndef REPLYMILTER_ACTION_H
#define REPLYMILTER_ACTION_H

#include <libmilter/mfapi.h>

#include "flow.h"

/* action_apply - set the reply of res on ctx; the SMFIS_* to return. */
sfsistat action_apply(SMFICTX *ctx, const struct flow_result *res);

/* action_add_headers - add the flow's end-of-message headers; 0, or -1
 * when libmilter refused one, with which in why (not logged: the caller
 * fails the message, and the failure path logs it). */
int action_add_headers(SMFICTX *ctx, const struct flow *f, char *why,
    size_t size);

/* action_delete_headers - delete the occurrences idx[0..n) (1-based, as
 * the MTA counts headers of that name) of header name; 0, or -1 when
 * libmilter refused one, with which in why. */
int action_delete_headers(SMFICTX *ctx, const char *name,
    const unsigned *idx, unsigned n, char *why, size_t size);

#endif
