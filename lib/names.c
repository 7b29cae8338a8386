#include "names.h"

#include <stddef.h>

const char *ps_directory_name(unsigned i)
{
	static const char *n[] = {"EXPORT", "IMPORT", "RESOURCE", "EXCEPTION", "SECURITY", "BASERELOC",
	                          "DEBUG", "ARCHITECTURE", "GLOBALPTR", "TLS", "LOAD_CONFIG",
	                          "BOUND_IMPORT", "IAT", "DELAY_IMPORT", "CLR_RUNTIME_HEADER", "RESERVED"};
	return i < sizeof(n) / sizeof(n[0]) ? n[i] : "unknown";
}

const char *ps_resource_type_name(uint32_t id)
{
	static const char *n[] = {NULL, "RT_CURSOR", "RT_BITMAP", "RT_ICON", "RT_MENU", "RT_DIALOG",
	                          "RT_STRING", "RT_FONTDIR", "RT_FONT", "RT_ACCELERATOR", "RT_RCDATA",
	                          "RT_MESSAGETABLE", "RT_GROUP_CURSOR", NULL, "RT_GROUP_ICON", NULL,
	                          "RT_VERSION", "RT_DLGINCLUDE", NULL, "RT_PLUGPLAY", "RT_VXD",
	                          "RT_ANICURSOR", "RT_ANIICON", "RT_HTML", "RT_MANIFEST"};
	return id < sizeof(n) / sizeof(n[0]) ? n[id] : NULL;
}

const char *ps_debug_type_name(uint32_t t)
{
	static const char *n[] = {"UNKNOWN", "COFF", "CODEVIEW", "FPO", "MISC", "EXCEPTION", "FIXUP",
	                          "OMAP_TO_SRC", "OMAP_FROM_SRC", "BORLAND", "RESERVED10", "CLSID",
	                          "VC_FEATURE", "POGO", "ILTCG", "MPX", "REPRO", "EMBEDDED_PORTABLE_PDB",
	                          NULL, "PDBCHECKSUM", "EX_DLLCHARACTERISTICS"};
	return t < sizeof(n) / sizeof(n[0]) ? n[t] : NULL;
}

const char *ps_crl_reason_name(int r)
{
	static const char *n[] = {"unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
	                          "superseded", "cessationOfOperation", "certificateHold", "unknown",
	                          "removeFromCRL", "privilegeWithdrawn", "aACompromise"};
	if (r < 0)
		return "unspecified";
	return r <= 10 ? n[r] : "unknown";
}
