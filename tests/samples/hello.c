/* hello-x64.exe: a benign x86_64 console program. pesleuth only reads its bytes; nobody runs it.
 *
 * It exists for its import table: kernel32 and user32 by name, and ws2_32 by ordinal only
 * (ws2_32-ord.def, NONAME), so that imphash has to resolve ordinals the way pefile does
 * (ws2_32 115 -> wsastartup, 116 -> wsacleanup) and fall back to "ord999" for an ordinal
 * pefile's table does not know. */
#include <stdio.h>
#include <winsock2.h>
#include <windows.h>

/* WSAStartup and WSACleanup (winsock2.h) and this one are bound by ordinal through the import
 * library built from ws2_32-ord.def, not by the usual libws2_32.a. */
__declspec(dllimport) int WINAPI ps_ws2_unknown_ordinal(void);

int main(int argc, char **argv)
{
	(void)argv;
	/* The branch is never taken with a normal command line; it keeps the imports referenced. */
	if (argc > 1000) {
		WSADATA wsadata;
		if (WSAStartup(MAKEWORD(2, 2), &wsadata) == 0)
			WSACleanup();
		ps_ws2_unknown_ordinal();
		MessageBoxA(NULL, "hello", "pesleuth sample", MB_OK);
	}
	printf("hello from the pesleuth samples (pid %lu)\n", (unsigned long)GetCurrentProcessId());
	return 0;
}
