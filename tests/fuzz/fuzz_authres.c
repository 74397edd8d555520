/*
 * fuzz_authres - the Authentication-Results parser: authres_parse() on the
 * input as one header value, then the same value through authres_collect
 * (as a header of a trusted authserv-id) and authres_claiming.
 */
#include "checks/authres.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const trusted[] = { "mx.example.org", "example.com" };
	char *value = fuzz_cstr(data, size), err[256];
	static struct authres ar;
	struct authres_facts facts;
	struct session_header h[2] = {
		{ "Authentication-Results", value },
		{ "From", "Alice <alice@example.com>" },
	};
	unsigned idx[4];

	authres_parse(value, &ar, err, sizeof(err));
	authres_collect(h, 2, trusted, 2, &facts);
	authres_claiming(h, 2, "mx.example.org", idx, 4);
	free(value);
	return 0;
}
