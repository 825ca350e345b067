/*
 * version.c - the runtime version query, so callers can detect a mismatch
 * between the headers they compiled against and the library they link.
 */
#include "internal.h"

int rc_version(void) { return RC_VERSION_NUMBER; }
const char *rc_version_string(void) { return RC_VERSION_STRING; }
