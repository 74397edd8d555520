/*
 * dnschecks - the checks that are DNS lookups: forward-confirmed reverse
 * DNS (iprev), null MX, and DNS blocklists
 *
 *   iprev   RFC 8601 section 2.7.3: the client's PTR names, each looked up
 *           forward; pass when one leads back to the address, fail when
 *           none does, temperror on a DNS failure, permerror when no PTR
 *           data is published or the answers are unusable.
 *   null MX RFC 7505: a domain whose only MX is "0 ." accepts no mail:
 *           nullmx; ok otherwise (including no MX at all); temperror on a
 *           DNS failure.
 *   DNSBL   RFC 5782: the client's address reversed (IPv4 octets, IPv6
 *           nibbles) under each zone; listed when an A record matches the
 *           zone's return-code filter (any 127.0.0.0/8 answer when none is
 *           given), notlisted, or temperror; the zone's TXT record is kept
 *           for the reply text (the caller sanitises it).
 * Results are indexes of checks.h's results for the check.  Thread-safe
 * given one cache per thread.
 */
#ifndef REPLYMILTER_CHECKS_DNSCHECKS_H
#define REPLYMILTER_CHECKS_DNSCHECKS_H

#include <stddef.h>

#include "checks/dns.h"

#define DNSBL_MAX_CODES 16

struct dnsbl_zone {
	const char *zone;		/* "bl.example.org" */
	unsigned ncodes;		/* 0: any 127.0.0.0/8 answer lists */
	struct in_addr codes[DNSBL_MAX_CODES];
};

/* iprev_evaluate - the iprev result for an address (family AF_INET with 4
 * bytes, AF_INET6 with 16); the confirmed name, if any, into name. */
unsigned iprev_evaluate(const struct dns *d, struct dns_cache *c,
    int family, const unsigned char *addr, char *name, size_t namesize);

/* nullmx_evaluate - the null MX result for domain. */
unsigned nullmx_evaluate(const struct dns *d, struct dns_cache *c,
    const char *domain);

/* dnsbl_evaluate - the DNSBL result for an address over zones, first
 * listing wins: its zone into *zone, its TXT (raw, unsanitised) into txt. */
unsigned dnsbl_evaluate(const struct dns *d, struct dns_cache *c,
    const struct dnsbl_zone *zones, unsigned nzones, int family,
    const unsigned char *addr, const char **zone, char *txt,
    size_t txtsize);

#endif
