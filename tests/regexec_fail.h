/*
 * regexec_fail - make regexec(3) fail on demand, for the tests of the
 * tri-state match (a regex engine error is never "no match")
 *
 * A test program linked with -Wl,--wrap=regexec gets this wrapper in
 * place of every regexec call in the library: while regexec_fail_with is
 * 0 it calls the real regexec; otherwise it returns that code (e.g.
 * REG_ESPACE) without matching.
 */
#ifndef REPLYMILTER_REGEXEC_FAIL_H
#define REPLYMILTER_REGEXEC_FAIL_H

#include <regex.h>

extern int regexec_fail_with;

int __wrap_regexec(const regex_t *re, const char *text, size_t nmatch,
    regmatch_t *match, int flags);

#endif
