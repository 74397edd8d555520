/*
 * registry_impl - the registry's tables, for registry.c's lookups and
 * checks only (registry.h is the contract for everyone else)
 *
 * registry_basic_codes is in ascending code order (lookups bisect it);
 * registry_enhanced_codes is in registry order, each subject's details from
 * 0 without a gap, registry_subject_first[s] the index of X.s.0 and
 * registry_subject_count[s] how many details subject s has.
 */
#ifndef REPLYMILTER_REGISTRY_IMPL_H
#define REPLYMILTER_REGISTRY_IMPL_H

#include <stddef.h>

#include "registry.h"

#define REGISTRY_SUBJECTS 8	/* X.0.x to X.7.x */
#define REGISTRY_CLASSES 6	/* class digits 0..5; 2, 4 and 5 named */

extern const struct registry_basic registry_basic_codes[];
extern const size_t registry_nbasic;
extern const struct registry_enhanced registry_enhanced_codes[];
extern const size_t registry_nenhanced;
extern const unsigned char registry_subject_first[REGISTRY_SUBJECTS];
extern const unsigned char registry_subject_count[REGISTRY_SUBJECTS];
extern const char *const registry_class_names[REGISTRY_CLASSES];
extern const char *const registry_subject_names[REGISTRY_SUBJECTS];

#endif
