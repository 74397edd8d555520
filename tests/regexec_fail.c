/*
 * regexec_fail - regex engines that fail on demand (see regexec_fail.h)
 */
#include "config.h"

#include "regexec_fail.h"

int regexec_fail_with;

int __real_regexec(const regex_t *re, const char *text, size_t nmatch,
    regmatch_t *match, int flags);

int
__wrap_regexec(const regex_t *re, const char *text, size_t nmatch,
    regmatch_t *match, int flags)
{
	if (regexec_fail_with != 0)
		return regexec_fail_with;
	return __real_regexec(re, text, nmatch, match, flags);
}

#ifdef HAVE_HYPERSCAN
hs_error_t hs_scan_fail_with;

hs_error_t __real_hs_scan(const hs_database_t *db, const char *data,
    unsigned length, unsigned flags, hs_scratch_t *scratch,
    match_event_handler onEvent, void *context);

hs_error_t
__wrap_hs_scan(const hs_database_t *db, const char *data, unsigned length,
    unsigned flags, hs_scratch_t *scratch, match_event_handler onEvent,
    void *context)
{
	if (hs_scan_fail_with != HS_SUCCESS)
		return hs_scan_fail_with;
	if (regexec_fail_with != 0)
		return HS_NOMEM;
	return __real_hs_scan(db, data, length, flags, scratch, onEvent,
	    context);
}
#endif
