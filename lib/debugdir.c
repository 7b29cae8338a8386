/* placeholder: implemented in a later commit */
#include "pe.h"

void ps_pe_debug(ps_pectx *c) { (void)c; }
