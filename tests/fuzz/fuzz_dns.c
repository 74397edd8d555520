/*
 * fuzz_dns - the DNS answer parser of the own resolver (checks/dns.c),
 * through dns_parse(): the first byte picks the query type (A, AAAA, TXT,
 * PTR, MX, or SPF's other types left unparsed), the rest is the answer
 * packet as a server would send it.
 */
#include <arpa/nameser.h>

#include "checks/dns.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int types[] = { ns_t_a, ns_t_aaaa, ns_t_txt, ns_t_ptr,
	    ns_t_mx, ns_t_spf, ns_t_cname, ns_t_ns };
	struct dns_cache *c;
	unsigned n;

	if (size < 1)
		return 0;
	if ((c = dns_cache_new()) == NULL)
		abort();
	dns_parse(c, types[data[0] % (sizeof(types) / sizeof(types[0]))],
	    data + 1, size - 1, &n);
	dns_cache_free(c);
	return 0;
}
