/* Names of PE constants for output. NULL (or "unknown") for values Windows does not define. */
#ifndef PS_NAMES_H
#define PS_NAMES_H

#include <stdint.h>

const char *ps_directory_name(unsigned index);
const char *ps_resource_type_name(uint32_t id); /* "RT_ICON", ... or NULL */
const char *ps_debug_type_name(uint32_t type);  /* "CODEVIEW", "REPRO", ... or NULL */
/* RFC 5280 CRLReason; a missing reason (PS_REASON_NONE, < 0) reads as "unspecified". */
const char *ps_crl_reason_name(int reason);

#endif
