/* gui-x86.exe: a benign i686 GUI program (subsystem windows_gui) with a VERSIONINFO, an
 * icon and an RCDATA resource (gui.rc). Only read by the tests, never run. */
#include <windows.h>

int WINAPI WinMain(HINSTANCE instance, HINSTANCE prev, LPSTR cmdline, int show)
{
	(void)prev;
	(void)cmdline;
	(void)show;
	HRSRC res = FindResourceA(instance, MAKEINTRESOURCEA(100), MAKEINTRESOURCEA(10) /* RT_RCDATA */);
	DWORD size = res ? SizeofResource(instance, res) : 0;
	MessageBoxA(NULL, size ? "pesleuth GUI sample" : "no data", "pesleuth", MB_OK | MB_ICONINFORMATION);
	return 0;
}
