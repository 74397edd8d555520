/*
 * milter_stub - a stand-in for libmilter's smfi_* calls, for unit tests
 *
 * Linked instead of libmilter, it lets a test call the callbacks of
 * milter_desc() directly with a context of its own: smfi_getsymval answers
 * from the context's macro table, smfi_setpriv/getpriv keep the private
 * pointer, and smfi_setreply, smfi_setmlreply, smfi_addheader and
 * smfi_insheader and smfi_chgheader record what the milter asked for, for
 * the test to read.
 * Nothing is allocated: the context is the caller's.
 */
#ifndef REPLYMILTER_TESTS_MILTER_STUB_H
#define REPLYMILTER_TESTS_MILTER_STUB_H

#include <stdbool.h>

#include <libmilter/mfapi.h>

#define STUB_TEXT_MAX 1024

struct smfi_str {
	void *priv;
	const char *const *macros;	/* name, value, ..., NULL */
	bool replied;			/* a reply was set since the reset */
	char basic[8];
	char xcode[16];
	char text[STUB_TEXT_MAX];	/* the first line */
	unsigned nlines;
	unsigned headers_added;
	unsigned headers_deleted;	/* smfi_chgheader(..., NULL) */
};

/* While true, smfi_addheader and smfi_insheader refuse (MI_FAILURE), as
 * libmilter does when SMFIF_ADDHDRS was not negotiated. */
extern bool stub_refuse_headers;

/* stub_init - an empty context answering macros (pairs, NULL-ended). */
void stub_init(SMFICTX *ctx, const char *const *macros);

/* stub_forget_reply - clear the recorded reply before the next callback. */
void stub_forget_reply(SMFICTX *ctx);

#endif
