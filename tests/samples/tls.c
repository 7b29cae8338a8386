/* tls-x64.exe: a benign x86_64 program with a TLS callback of its own, registered the standard
 * mingw-w64/MSVC way: a pointer in section .CRT$XLB, which the linker places between the CRT's
 * __xl_a and __xl_z so that it lands in the TLS directory's AddressOfCallBacks array.
 * The callback body does nothing. Only read by the tests, never run. */
#include <stdio.h>
#include <windows.h>

static volatile LONG ps_tls_calls;

static void NTAPI ps_tls_callback(PVOID module, DWORD reason, PVOID reserved)
{
	(void)module;
	(void)reserved;
	if (reason == DLL_PROCESS_ATTACH)
		InterlockedIncrement(&ps_tls_calls);
}

__attribute__((section(".CRT$XLB"), used)) PIMAGE_TLS_CALLBACK ps_tls_callback_ptr = ps_tls_callback;

int main(void)
{
	printf("tls callbacks seen: %ld\n", (long)ps_tls_calls);
	return 0;
}
