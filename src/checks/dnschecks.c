/*
 * dnschecks - iprev, null MX and DNS blocklists over dns.h
 *
 * Each check is a few lookups through the connection's cache and a
 * verdict; a DNS failure that could have changed the verdict is
 * temperror, never a guess either way.
 */
#include "config.h"

#include "checks/dnschecks.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "checks.h"
#include "log.h"

/* At most this many PTR names are confirmed (as SPF's "ptr" does, RFC
 * 7208 section 4.6.4): a client cannot make us do unbounded lookups. */
#define IPREV_MAX_NAMES 10

/* usable_name - whether a PTR target can be looked up: not the root, at
 * most 253 characters, labels of 1 to 63. */
static bool
usable_name(const char *name)
{
	size_t len = strlen(name), label = 0;

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (name[i] == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (++label > 63)
			return false;
	}
	return label > 0;
}

/* confirms - whether name's A or AAAA records hold addr: 1 yes, 0 no, -1
 * when the lookup failed temporarily. */
static int
confirms(const struct dns *d, struct dns_cache *c, const char *name,
    int family, const unsigned char *addr)
{
	struct in_addr a[DNS_MAX_RECORDS];
	struct in6_addr a6[DNS_MAX_RECORDS];
	enum dns_status st;
	unsigned n;

	if (family == AF_INET) {
		st = dns_a(d, c, name, a, DNS_MAX_RECORDS, &n);
		for (unsigned i = 0; st == DNS_OK && i < n; i++)
			if (memcmp(&a[i], addr, sizeof(a[i])) == 0)
				return 1;
	} else {
		st = dns_aaaa(d, c, name, a6, DNS_MAX_RECORDS, &n);
		for (unsigned i = 0; st == DNS_OK && i < n; i++)
			if (memcmp(&a6[i], addr, sizeof(a6[i])) == 0)
				return 1;
	}
	return st == DNS_TEMPFAIL ? -1 : 0;
}

/* iprev_evaluate - the iprev result for an address. */
unsigned
iprev_evaluate(const struct dns *d, struct dns_cache *c, int family,
    const unsigned char *addr, char *name, size_t namesize)
{
	const char *names[DNS_MAX_RECORDS];
	bool tempfail = false, usable = false;
	unsigned n;

	if (namesize > 0)
		name[0] = '\0';
	if (family != AF_INET && family != AF_INET6)
		return check_result(CHECK_IPREV, "permerror");
	switch (dns_ptr(d, c, family, addr, names, DNS_MAX_RECORDS, &n)) {
	case DNS_OK:
		break;
	case DNS_TEMPFAIL:
		return check_result(CHECK_IPREV, "temperror");
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		/* RFC 8601 section 2.7.3: no PTR data published. */
		return check_result(CHECK_IPREV, "permerror");
	}
	if (n > IPREV_MAX_NAMES)
		n = IPREV_MAX_NAMES;
	for (unsigned i = 0; i < n; i++) {
		if (!usable_name(names[i]))
			continue;
		usable = true;
		switch (confirms(d, c, names[i], family, addr)) {
		case 1:
			if (namesize > 0 && (size_t)snprintf(name, namesize,
			    "%s", names[i]) >= namesize)
				/* Never a cut name that looks whole. */
				name[0] = '\0';
			return check_result(CHECK_IPREV, "pass");
		case -1:
			tempfail = true;
			break;
		default:
			break;
		}
	}
	if (tempfail)
		return check_result(CHECK_IPREV, "temperror");
	return check_result(CHECK_IPREV, usable ? "fail" : "permerror");
}

/* nullmx_evaluate - the null MX result for a domain. */
unsigned
nullmx_evaluate(const struct dns *d, struct dns_cache *c, const char *domain)
{
	struct dns_mx mx[DNS_MAX_RECORDS];
	unsigned n;

	/* The check is the same for the sender and the recipient: report
	 * in the sender's result names, which are the recipient's too. */
	switch (dns_mx(d, c, domain, mx, DNS_MAX_RECORDS, &n)) {
	case DNS_TEMPFAIL:
		return check_result(CHECK_NULLMX_SENDER, "temperror");
	case DNS_OK:
		/* RFC 7505 section 3: the null MX is the domain's only MX,
		 * its exchange the root. */
		if (n == 1 && mx[0].exchange[0] == '\0')
			return check_result(CHECK_NULLMX_SENDER, "nullmx");
		break;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		break;
	}
	return check_result(CHECK_NULLMX_SENDER, "ok");
}

/* dnsbl_name - the query name of addr under zone into buf; 0, or -1 when
 * it does not fit. */
static int
dnsbl_name(char *buf, size_t size, int family, const unsigned char *addr,
    const char *zone)
{
	size_t len = 0;
	int n;

	if (family == AF_INET)
		len = (size_t)snprintf(buf, size, "%u.%u.%u.%u.", addr[3],
		    addr[2], addr[1], addr[0]);
	else
		for (int i = 15; i >= 0 && len < size; i--)
			len += (size_t)snprintf(buf + len, size - len,
			    "%x.%x.", addr[i] & 0xf, addr[i] >> 4);
	if (len >= size)
		return -1;
	n = snprintf(buf + len, size - len, "%s", zone);
	return n < 0 || (size_t)n >= size - len ? -1 : 0;
}

/* listed_by - whether the answers a (n of them) list under z's codes:
 * one of them, or any 127.0.0.0/8 address when there are none. */
static bool
listed_by(const struct dnsbl_zone *z, const struct in_addr *a, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (z->ncodes == 0) {
			/* RFC 5782 section 2.1: answers are in 127.0.0.0/8;
			 * anything else is a broken or hijacked zone. */
			if ((ntohl(a[i].s_addr) >> 24) == 127)
				return true;
			continue;
		}
		for (unsigned k = 0; k < z->ncodes && k < DNSBL_MAX_CODES; k++)
			if (a[i].s_addr == z->codes[k].s_addr)
				return true;
	}
	return false;
}

/* dnsbl_evaluate - the DNSBL result for an address over zones. */
unsigned
dnsbl_evaluate(const struct dns *d, struct dns_cache *c,
    const struct dnsbl_zone *zones, unsigned nzones, int family,
    const unsigned char *addr, const char **zone, char *txt, size_t txtsize)
{
	char qname[sizeof("x.") * 32 + 256];
	bool tempfail = false;

	*zone = NULL;
	if (txtsize > 0)
		txt[0] = '\0';
	if (family != AF_INET && family != AF_INET6)
		return check_result(CHECK_DNSBL, "notlisted");
	for (unsigned i = 0; i < nzones; i++) {
		struct in_addr a[DNS_MAX_RECORDS];
		const char *texts[DNS_MAX_RECORDS];
		unsigned n;

		if (dnsbl_name(qname, sizeof(qname), family, addr,
		    zones[i].zone) < 0) {
			log_warnx("dnsbl: zone name too long: %s",
			    zones[i].zone);
			continue;
		}
		switch (dns_a(d, c, qname, a, DNS_MAX_RECORDS, &n)) {
		case DNS_TEMPFAIL:
			tempfail = true;
			continue;
		case DNS_OK:
			break;
		case DNS_NXDOMAIN:
		case DNS_NODATA:
			continue;
		}
		if (!listed_by(&zones[i], a, n))
			continue;
		*zone = zones[i].zone;
		/* RFC 5782 section 2.1: the TXT says why; several TXT
		 * records are joined by "; ".  No TXT is no text. */
		if (txtsize > 0 && dns_txt(d, c, qname, texts,
		    DNS_MAX_RECORDS, &n) == DNS_OK) {
			size_t len = 0;

			for (unsigned k = 0; k < n && len < txtsize; k++)
				len += (size_t)snprintf(txt + len,
				    txtsize - len, "%s%s", k > 0 ? "; " : "",
				    texts[k]);
			if (len >= txtsize && txtsize > 4)
				memcpy(txt + txtsize - 4, "...", 4);
		}
		return check_result(CHECK_DNSBL, "listed");
	}
	return check_result(CHECK_DNSBL, tempfail ? "temperror" : "notlisted");
}
