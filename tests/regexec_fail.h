/*
 * regexec_fail - make the regex engines fail on demand, for the tests of
 * the tri-state match (a regex engine error is never "no match")
 *
 * A test program linked with -Wl,--wrap=regexec (and, when Hyperscan is
 * built in, -Wl,--wrap=hs_scan) gets these wrappers in place of every
 * call in the library.  While regexec_fail_with is 0 they call the real
 * functions; otherwise regexec returns that code (e.g. REG_ESPACE) without
 * matching, and hs_scan returns HS_NOMEM.  hs_scan_fail_with, when not
 * HS_SUCCESS, fails hs_scan alone, with that code.
 */
#ifndef REPLYMILTER_REGEXEC_FAIL_H
#define REPLYMILTER_REGEXEC_FAIL_H

#include <regex.h>

extern int regexec_fail_with;

int __wrap_regexec(const regex_t *re, const char *text, size_t nmatch,
    regmatch_t *match, int flags);

#ifdef HAVE_HYPERSCAN
#include <hs/hs.h>

extern hs_error_t hs_scan_fail_with;

hs_error_t __wrap_hs_scan(const hs_database_t *db, const char *data,
    unsigned length, unsigned flags, hs_scratch_t *scratch,
    match_event_handler onEvent, void *context);
#endif

#endif
