/*
 * regexec_fail - regexec(3) that fails on demand (see regexec_fail.h)
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
