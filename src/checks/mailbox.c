/*
 * mailbox - the domains of the mailboxes a From: header value names
 */
#include "config.h"

#include "checks/mailbox.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "checks/rfc5322.h"

/* lower - c in lower case, for ASCII letters; other bytes unchanged. */
static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* addr_domain - 1 with the domain of the addr-spec in [a, b)
 * copied in lower case into dom, -1 when there is none to be read. */
static int
addr_domain(const char *a, const char *b, char *dom)
{
	const char *at = NULL, *q;
	unsigned nat = 0;
	bool local = false;
	size_t len = 0;

	for (q = a; q < b;) {
		if (*q == '"' || *q == '(') {
			if (at == NULL && *q == '"')
				local = true;
			q = *q == '"' ? rfc5322_quoted_end(q) : rfc5322_comment_end(q);
			if (q == NULL || q > b)
				return -1;
			continue;
		}
		if (*q == '@') {
			at = q;
			nat++;
		} else if (at == NULL && !rfc5322_is_wsp(*q))
			local = true;
		q++;
	}
	if (nat != 1 || !local)
		return -1;
	for (q = at + 1; q < b;) {
		if (*q == '(') {
			if ((q = rfc5322_comment_end(q)) == NULL || q > b)
				return -1;
			continue;
		}
		if (*q == '"')
			return -1;
		if (!rfc5322_is_wsp(*q)) {
			if (len + 1 >= MAILBOX_DOMAIN_SIZE)
				return -1;
			dom[len++] = lower(*q);
		}
		q++;
	}
	dom[len] = '\0';
	if (len == 0)
		return -1;
	if (dom[0] == '[')	/* a domain-literal: it matches no d= */
		return dom[len - 1] == ']' ? 1 : -1;
	if (dom[0] == '.' || dom[len - 1] == '.' || strstr(dom, "..") != NULL)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (dom[i] != '.' && !rfc5322_is_atext(dom[i]))
			return -1;
	return 1;
}

/* mailbox_domain - 1 with the domain of the mailbox in [s, e) (a bare
 * addr-spec, or one in angle brackets after a display name) in dom, 0 when
 * [s, e) is blank, -1 when it cannot be read. */
static int
mailbox_domain(const char *s, const char *e, char *dom)
{
	const char *q, *lt = NULL, *gt = NULL, *a;
	bool blank = true;

	for (q = s; q < e;) {
		if (*q == '"' || *q == '(') {
			if (*q == '"' && gt != NULL)
				return -1;	/* a word after "<addr>" */
			blank = blank && *q == '(';
			q = *q == '"' ? rfc5322_quoted_end(q) : rfc5322_comment_end(q);
			if (q == NULL || q > e)
				return -1;
			continue;
		}
		if (*q == '<' && lt == NULL)
			lt = q;
		else if (*q == '>' && lt != NULL && gt == NULL)
			gt = q;
		else if (gt != NULL && !rfc5322_is_wsp(*q))
			return -1;	/* something after "<addr>" */
		if (!rfc5322_is_wsp(*q))
			blank = false;
		q++;
	}
	if (blank)
		return 0;
	if (lt == NULL)
		return addr_domain(s, e, dom);
	if (gt == NULL)
		return -1;
	/* An obsolete route, "<@relay1,@relay2:user@example.com>", comes
	 * before the last ":" between the brackets. */
	a = lt + 1;
	for (q = a; q < gt;) {
		if (*q == '"' || *q == '(') {
			q = *q == '"' ? rfc5322_quoted_end(q) : rfc5322_comment_end(q);
			if (q == NULL || q > gt)
				return -1;
			continue;
		}
		if (*q == ':')
			a = q + 1;
		q++;
	}
	return addr_domain(a, gt, dom);
}

int
mailbox_domains(const char *value, char doms[][MAILBOX_DOMAIN_SIZE],
    unsigned max)
{
	const char *p = value, *seg = value;
	bool angle = false, group = false;
	char dom[MAILBOX_DOMAIN_SIZE];
	unsigned n = 0;

	for (;;) {
		char ch = *p;
		int got;

		if (ch == '"' || ch == '(') {
			if ((p = ch == '"' ? rfc5322_quoted_end(p) : rfc5322_comment_end(p)) ==
			    NULL)
				return -1;
			continue;
		}
		if (angle) {
			if (ch == '\0' || ch == '<')
				return -1;
			angle = ch != '>';
			p++;
			continue;
		}
		if (ch == '<')
			angle = true;
		else if (ch == '>')
			return -1;
		else if (ch == ':') {
			/* A group, "name: a@x, b@y;": skip its name. */
			if (group)
				return -1;
			group = true;
			seg = p + 1;
		} else if (ch == ',' || ch == ';' || ch == '\0') {
			if (ch == ';' && !group)
				return -1;
			if (ch == ';')
				group = false;
			if ((got = mailbox_domain(seg, p, dom)) < 0 ||
			    (got == 1 && n == max))
				return -1;
			if (got == 1)
				memcpy(doms[n++], dom, sizeof(dom));
			if (ch == '\0')
				break;
			seg = p + 1;
		}
		p++;
	}
	return group || n == 0 ? -1 : (int)n;
}
