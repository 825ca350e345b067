// header_cxx.cpp - the public headers compile as C++ (when a C++ compiler
// is available) with every warning an error.
#include "rcgc.h"

int main() {
    return rc_version() == RC_VERSION_NUMBER ? 0 : 1;
}
