/* lib-x64.dll: a benign x86_64 DLL whose export table (lib.def) has named exports, an
 * ordinal-only export and a forwarder. Only read by the tests, never loaded. */
#include <windows.h>

int ps_add(int a, int b) { return a + b; }
int ps_mul(int a, int b) { return a * b; }
const char *ps_version(void) { return "pesleuth sample 1.0"; }
/* Exported by ordinal 7 only (NONAME in lib.def); lib.def alone decides what is exported. */
int ps_by_ordinal(void) { return 7; }

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
	(void)instance;
	(void)reason;
	(void)reserved;
	return TRUE;
}
