/*
 * milter_stub - a stand-in for libmilter's smfi_* calls, for unit tests
 */
#include "config.h"

#include "milter_stub.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
stub_init(SMFICTX *ctx, const char *const *macros)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->macros = macros;
}

void
stub_forget_reply(SMFICTX *ctx)
{
	ctx->replied = false;
	ctx->basic[0] = ctx->xcode[0] = ctx->text[0] = '\0';
	ctx->nlines = 0;
}

/* record - note a reply's codes and first line. */
static int
record(SMFICTX *ctx, const char *basic, const char *xcode, const char *text,
    unsigned nlines)
{
	if (basic == NULL || strlen(basic) != 3 ||
	    (basic[0] != '4' && basic[0] != '5'))
		return MI_FAILURE;	/* as libmilter refuses it */
	ctx->replied = true;
	snprintf(ctx->basic, sizeof(ctx->basic), "%s", basic);
	snprintf(ctx->xcode, sizeof(ctx->xcode), "%s", xcode != NULL ? xcode :
	    "");
	snprintf(ctx->text, sizeof(ctx->text), "%s", text != NULL ? text : "");
	ctx->nlines = nlines;
	return MI_SUCCESS;
}

char *
smfi_getsymval(SMFICTX *ctx, char *name)
{
	for (const char *const *m = ctx->macros; m != NULL && m[0] != NULL;
	    m += 2)
		if (strcmp(m[0], name) == 0)
			return (char *)m[1];
	return NULL;
}

int
smfi_setreply(SMFICTX *ctx, char *basic, char *xcode, char *text)
{
	return record(ctx, basic, xcode, text, text != NULL);
}

int
smfi_setmlreply(SMFICTX *ctx, const char *basic, const char *xcode, ...)
{
	va_list ap;
	const char *first, *line;
	unsigned n = 0;

	va_start(ap, xcode);
	first = va_arg(ap, const char *);
	for (line = first; line != NULL; line = va_arg(ap, const char *))
		n++;
	va_end(ap);
	return record(ctx, basic, xcode, first, n);
}

bool stub_refuse_headers;

int
smfi_chgheader(SMFICTX *ctx, char *name, int index, char *value)
{
	(void)name;
	(void)index;
	(void)value;
	if (stub_refuse_headers)
		return MI_FAILURE;
	ctx->headers_deleted++;
	return MI_SUCCESS;
}

int
smfi_addheader(SMFICTX *ctx, char *name, char *value)
{
	(void)name;
	(void)value;
	if (stub_refuse_headers)
		return MI_FAILURE;
	ctx->headers_added++;
	return MI_SUCCESS;
}

int
smfi_insheader(SMFICTX *ctx, int index, char *name, char *value)
{
	(void)index;
	(void)name;
	(void)value;
	if (stub_refuse_headers)
		return MI_FAILURE;
	ctx->headers_added++;
	return MI_SUCCESS;
}

int
smfi_setsymlist(SMFICTX *ctx, int where, char *macros)
{
	(void)ctx;
	(void)where;
	(void)macros;
	return MI_SUCCESS;
}

int
smfi_setpriv(SMFICTX *ctx, void *priv)
{
	ctx->priv = priv;
	return MI_SUCCESS;
}

void *
smfi_getpriv(SMFICTX *ctx)
{
	return ctx->priv;
}
