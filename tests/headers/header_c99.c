/* header_c99.c - the public headers compile on their own as strict C99
 * with every warning an error (built by tests/CMakeLists.txt). */
#include "rcgc.h"

int main(void) {
    return rc_version() == RC_VERSION_NUMBER ? 0 : 1;
}
