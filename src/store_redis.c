/*
 * store_redis - the store in a Redis server, through hiredis (the
 * contract is in store.h)
 */
#include "config.h"

#include <stdio.h>

#include "store_impl.h"

#if 1	/* the Redis store is being written: refused for now */
struct store *
store_redis_new(const char *url, unsigned timeout_ms, char *err,
    size_t errsize)
{
	(void)url;
	(void)timeout_ms;
	snprintf(err, errsize, "this replymilter is built without Redis: "
	    "install libhiredis-dev, run configure again and rebuild, or "
	    "use the local store");
	return NULL;
}
#endif
