/* placeholder: implemented in a later commit */
#include "pe.h"

void ps_pe_clr(ps_pectx *c) { (void)c; }
