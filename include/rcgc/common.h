/*
 * rcgc/common.h - version macros, the export macro and the error API.
 *
 * Everything public in rcgc is named rc_* / RC_*.  This header is included by
 * every other public header; it depends on nothing but the C standard library.
 */
#ifndef RCGC_COMMON_H
#define RCGC_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ------------------------------------------------------------------------
 * Version
 * ---------------------------------------------------------------------- */
#define RC_VERSION_MAJOR 0
#define RC_VERSION_MINOR 1
#define RC_VERSION_PATCH 0
/* MAJOR*10000 + MINOR*100 + PATCH, comparable with < and >. */
#define RC_VERSION_NUMBER \
    (RC_VERSION_MAJOR * 10000 + RC_VERSION_MINOR * 100 + RC_VERSION_PATCH)
#define RC_VERSION_STRING "0.1.0"

/* ------------------------------------------------------------------------
 * Export macro: the library is built with -fvisibility=hidden and marks its
 * public functions with RC_API.  Define RC_STATIC when linking the static
 * library on platforms where that matters (Windows); on ELF it is a no-op.
 * ---------------------------------------------------------------------- */
#if defined(_WIN32) && !defined(RC_STATIC)
#  if defined(RC_BUILD_CORE)
#    define RC_API __declspec(dllexport)
#  else
#    define RC_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) || defined(__clang__)
#  define RC_API __attribute__((visibility("default")))
#else
#  define RC_API
#endif

#if defined(__GNUC__) || defined(__clang__)
#  define RC_LIKELY(x)   __builtin_expect(!!(x), 1)
#  define RC_UNLIKELY(x) __builtin_expect(!!(x), 0)
#  define RC_NORETURN    __attribute__((noreturn))
#  define RC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#  define RC_LIKELY(x)   (x)
#  define RC_UNLIKELY(x) (x)
#  define RC_NORETURN
#  define RC_PRINTF(f, a)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The version of the library actually linked, as RC_VERSION_NUMBER.
 * Compare with the macro to detect header/library skew.  Never fails. */
RC_API int rc_version(void);
/* The same as a static string such as "0.1.0".  Never fails. */
RC_API const char *rc_version_string(void);

/* ------------------------------------------------------------------------
 * Errors are values.  A function that fails returns NULL or -1 and records a
 * code and a message in thread-local storage; the next failure overwrites
 * them.  Successful calls do not clear the error: check return values first.
 * ---------------------------------------------------------------------- */
typedef enum rc_errcode {
    RC_OK = 0,
    RC_ERR_NOMEM,      /* out of memory (MemoryError) */
    RC_ERR_INVALID,    /* invalid argument: NULL object, bad flag, bad pointer */
    RC_ERR_TYPE,       /* wrong type (TypeError) */
    RC_ERR_VALUE,      /* right type, bad value (ValueError) */
    RC_ERR_OVERFLOW,   /* size or arithmetic overflow (OverflowError) */
    RC_ERR_INDEX,      /* index out of range (IndexError) */
    RC_ERR_KEY,        /* missing key (KeyError) */
    RC_ERR_ATTRIBUTE,  /* missing or forbidden attribute (AttributeError) */
    RC_ERR_REFERENCE,  /* weakly referenced object is gone (ReferenceError) */
    RC_ERR_STATE,      /* wrong state: no heap bound, heap used by another thread */
    RC_ERR_RUNTIME     /* anything else (RuntimeError) */
} rc_errcode;

/* The code of the calling thread's last error, RC_OK if none was recorded
 * since the last rc_error_clear().  Never fails. */
RC_API rc_errcode rc_error_code(void);
/* The message of the calling thread's last error ("" if none).  The string
 * is owned by the thread's error slot and valid until the next error. */
RC_API const char *rc_error_message(void);
/* A constant name for a code, e.g. "MemoryError" for RC_ERR_NOMEM. */
RC_API const char *rc_error_name(rc_errcode code);
/* Forget the calling thread's last error. */
RC_API void rc_error_clear(void);
/* Record an error (for user types and hooks that want to fail the way the
 * library does).  The message is formatted like printf and truncated to 255
 * bytes.  Always returns -1, so `return rc_error_set(...)` reads naturally. */
RC_API int rc_error_set(rc_errcode code, const char *fmt, ...) RC_PRINTF(2, 3);

#ifdef __cplusplus
}
#endif
#endif /* RCGC_COMMON_H */
