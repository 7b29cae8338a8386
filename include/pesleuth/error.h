/* pesleuth — error codes.
 *
 * Conventions for the whole public API (stated once, here):
 *  - functions return 0 (PS_OK) on success and a negative ps_err on operational failure
 *    (memory, I/O, misuse). A malformed *input file* is never an error: it is described by
 *    findings in the report.
 *  - the output parameter comes first: ps_x_new(&out, ...).
 *  - every object returned through an output parameter is owned by the caller and released
 *    with its ps_x_free(); free functions accept NULL.
 *  - pointers inside a returned object (strings, arrays) are borrowed: they live as long as
 *    the object that holds them.
 */
#ifndef PESLEUTH_ERROR_H
#define PESLEUTH_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ps_err {
	PS_OK = 0,
	PS_ENOMEM = -1,   /* allocation failed or a memory cap was reached */
	PS_EIO = -2,      /* the file could not be opened or read (errno is kept in the report) */
	PS_EINVAL = -3,   /* misuse: bad argument or option */
	PS_ENOTFILE = -4, /* the path is not a regular file */
	PS_ECRYPTO = -5,  /* the crypto library failed for a reason other than the input */
	PS_EINTERNAL = -6,
	PS_ERULES = -7 /* a rule pack compiled on first use (ps_rules_new_deferred) does not compile */
} ps_err;

/* A static, human-readable description of an error code; never NULL. */
const char *ps_strerror(int err);

#ifdef __cplusplus
}
#endif
#endif
