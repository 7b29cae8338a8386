/* Ordinal -> name tables (generated: lib/ordinals.c, scripts/gen-ordinals.py). */
#ifndef PS_ORDINALS_H
#define PS_ORDINALS_H

typedef enum ps_ordinal_table { PS_ORD_NONE = 0, PS_ORD_WS2_32, PS_ORD_OLEAUT32 } ps_ordinal_table;

typedef struct ps_ordinal_name {
	unsigned ordinal;
	const char *name;
} ps_ordinal_name;

/* The export name for an ordinal, or NULL when the table does not know it. */
const char *ps_ordinal_lookup(ps_ordinal_table table, unsigned ordinal);

#endif
