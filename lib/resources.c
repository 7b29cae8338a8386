/* placeholder: implemented in a later commit */
#include "pe.h"

void ps_pe_resources(ps_pectx *c) { (void)c; }
