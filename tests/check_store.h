/*
 * check_store - the store contract's cases (tests/check_store.c), shared
 * by the suite of each store kind
 */
#ifndef REPLYMILTER_CHECK_STORE_H
#define REPLYMILTER_CHECK_STORE_H

#include <check.h>

#include "store.h"

/* store_under_test - a fresh, empty store of the kind under test (the
 * suite's own); the test frees it. */
struct store *store_under_test(void);

/* check_store_cases - nothing; adds the contract's cases to tc. */
void check_store_cases(TCase *tc);

#endif
