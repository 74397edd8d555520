/*
 * rfc5322 - the lexical pieces of RFC 5322 header values that the header
 * readers share (checks/authres.c, checks/mailbox.c): blanks, atext,
 * comments and quoted strings
 *
 * Inline, pure, no allocation.  A value is a NUL-ended string; an unclosed
 * comment or quoted string is NULL ("cannot be read"), never guessed at.
 */
#ifndef REPLYMILTER_CHECKS_RFC5322_H
#define REPLYMILTER_CHECKS_RFC5322_H

#include <stdbool.h>
#include <string.h>

/* rfc5322_is_wsp - whether c is a blank or part of a line break (FWS,
 * taken widely: milters see folded headers with CRLF or with bare LF). */
static inline bool
rfc5322_is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* rfc5322_is_atext - whether c may appear in an atom (UTF-8 allowed, RFC
 * 6532). */
static inline bool
rfc5322_is_atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (unsigned char)c >= 0x80 ||
	    (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* rfc5322_comment_end - just past the ")" closing the comment (nested,
 * with quoted-pairs) that opens at p, or NULL when the value ends first. */
static inline const char *
rfc5322_comment_end(const char *p)
{
	unsigned depth = 0;

	do {
		switch (*p) {
		case '\0':
			return NULL;
		case '\\':
			if (p[1] == '\0')
				return NULL;
			p++;
			break;
		case '(':
			depth++;
			break;
		case ')':
			depth--;
			break;
		default:
			break;
		}
		p++;
	} while (depth > 0);
	return p;
}

/* rfc5322_quoted_end - just past the '"' closing the quoted-string that
 * opens at p, or NULL when the value ends first. */
static inline const char *
rfc5322_quoted_end(const char *p)
{
	for (p++; *p != '"'; p++) {
		if (*p == '\0')
			return NULL;
		if (*p == '\\' && *++p == '\0')
			return NULL;
	}
	return p + 1;
}

#endif
