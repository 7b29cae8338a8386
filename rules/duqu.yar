/*
 * pesleuth rule pack: W32.Duqu (2011).
 *
 * Source: Symantec Security Response, "W32.Duqu: The precursor to the next Stuxnet"
 * (Japanese edition, 2011-10-19; ../shared/seeds/000_*.txt). Facts used, translated:
 *  - The lab that found it named it "Duqu" because it creates files whose names start with
 *    the prefix "~DQ" (「~DQ」という接頭辞の付いたファイルが作成される).
 *  - It is a remote access trojan; through it the attackers install a separate infostealer
 *    that records keystrokes and collects system information; the downloadable executables
 *    also enumerate the network. What is stolen is written to a lightly encrypted, compressed
 *    local file.
 *  - It talks to its C&C server over HTTP or HTTPS with its own protocol that mainly
 *    downloads and uploads files that pass for JPG images: besides the dummy JPG, extra data
 *    travels encrypted.
 *  - (The stolen-key signature on its driver and the 36-day self-removal are not byte
 *    patterns: the first is judged by pesleuth's signature checks, the second has no string.)
 *
 * Every rule requires the "~DQ" name prefix written as the start of a file name (after a path
 * separator or at the start of a NUL-terminated string, followed by 3 to 16 name characters
 * and the terminator), ASCII or UTF-16LE, inside a PE file, plus the facts its name says. A bare
 * three-byte "~DQ" is not used: it occurs by chance in compressed data.
 *
 * Fixtures. tests/unit/test_rules.c reads the "fixture" lines below, builds each buffer in
 * memory (MZ = "MZ" padded with zeros to 64 bytes; each quoted string follows, then a NUL;
 * W"..." is the same text in UTF-16LE; \xNN escapes a byte) and checks that the rule matches
 * it and does not match the same number of zero bytes. The exact strings a benign file needs:
 *
 * fixture Duqu_DQ_Prefixed_Files: MZ "\\~DQ7.tmp" "CreateFileW"
 * fixture Duqu_JPEG_Disguised_CnC: MZ W"~DQ12.tmp" "\xff\xd8\xff\xe0\x00\x10JFIF" "image/jpeg" "HttpOpenRequestA" "HttpSendRequestA"
 * fixture Duqu_Infostealer_Keylogger: MZ "%TEMP%\\~DQ%04x.tmp" "GetAsyncKeyState" "MapVirtualKeyA" "GetComputerNameA" "GetVersionExA" "NetServerEnum"
 */

// Prefilter (pesleuth runs this file's rules only on files with this literal in a printable
// ASCII or UTF-16LE run; every rule needs "~DQ" plus at least three name characters).
// pesleuth-prefilter: "~DQ"

rule Duqu_DQ_Prefixed_Files
{
    meta:
        description = "PE that creates files named with Duqu's ~DQ prefix"
        author = "pesleuth"
        reference = "Symantec, W32.Duqu: The precursor to the next Stuxnet (2011-10-19): Duqu is named after the files with the ~DQ prefix it creates"
        severity = "high"
        attack = "T1074.001"
        date = "2026-11-22"

    strings:
        // "~DQ" starting a file name: after \ or / or at the start of a string, then 3 to
        // 16 name characters (a printf format included) and the terminating NUL.
        $dq_a = /[\x00\\\/]~DQ[0-9A-Za-z_%.\-]{3,16}\x00/
        $dq_w = /(\x00\x00|\\\x00|\/\x00)~\x00D\x00Q\x00([0-9A-Za-z_%.\-]\x00){3,16}\x00\x00/
        $create_a = "CreateFileA"
        $create_w = "CreateFileW"

    condition:
        uint16(0) == 0x5A4D and any of ($dq_*) and any of ($create_*)
}

rule Duqu_JPEG_Disguised_CnC
{
    meta:
        description = "PE with Duqu's ~DQ file prefix that exchanges JPEG-looking files over HTTP(S)"
        author = "pesleuth"
        reference = "Symantec, W32.Duqu: The precursor to the next Stuxnet (2011-10-19): own C&C protocol over HTTP/HTTPS that downloads and uploads dummy JPG files carrying encrypted data"
        severity = "critical"
        attack = "T1001.002"
        date = "2026-11-22"

    strings:
        $dq_a = /[\x00\\\/]~DQ[0-9A-Za-z_%.\-]{3,16}\x00/
        $dq_w = /(\x00\x00|\\\x00|\/\x00)~\x00D\x00Q\x00([0-9A-Za-z_%.\-]\x00){3,16}\x00\x00/
        // a JPEG image (JFIF or Exif) carried inside the executable: the dummy picture
        $jfif = { FF D8 FF E0 ?? ?? 4A 46 49 46 00 }
        $exif = { FF D8 FF E1 ?? ?? 45 78 69 66 00 }
        $mime = "image/jpeg" nocase ascii wide
        $http1 = "HttpOpenRequestA"
        $http2 = "HttpOpenRequestW"
        $http3 = "HttpSendRequestA"
        $http4 = "HttpSendRequestW"
        $http5 = "WinHttpOpenRequest"
        $http6 = "WinHttpSendRequest"

    condition:
        uint16(0) == 0x5A4D and any of ($dq_*) and
        // embedded, not the file itself
        (for any i in (1..#jfif) : (@jfif[i] > 0) or for any i in (1..#exif) : (@exif[i] > 0)) and
        $mime and 2 of ($http*)
}

rule Duqu_Infostealer_Keylogger
{
    meta:
        description = "PE with Duqu's ~DQ file prefix that records keystrokes, collects system information and enumerates the network"
        author = "pesleuth"
        reference = "Symantec, W32.Duqu: The precursor to the next Stuxnet (2011-10-19): an infostealer installed through Duqu records keystrokes, collects system information and enumerates the network"
        severity = "critical"
        attack = "T1056.001"
        date = "2026-11-22"

    strings:
        $dq_a = /[\x00\\\/]~DQ[0-9A-Za-z_%.\-]{3,16}\x00/
        $dq_w = /(\x00\x00|\\\x00|\/\x00)~\x00D\x00Q\x00([0-9A-Za-z_%.\-]\x00){3,16}\x00\x00/
        $key1 = "GetAsyncKeyState"
        $key2 = "GetKeyboardState"
        $key3 = "SetWindowsHookEx"
        $key4 = "MapVirtualKey"
        $key5 = "GetKeyNameText"
        $sys1 = "GetComputerName"
        $sys2 = "GetVersionEx"
        $sys3 = "GetSystemInfo"
        $sys4 = "GetAdaptersInfo"
        $sys5 = "GetUserName"
        $net1 = "NetServerEnum"
        $net2 = "WNetOpenEnum"
        $net3 = "NetShareEnum"

    condition:
        uint16(0) == 0x5A4D and any of ($dq_*) and
        2 of ($key*) and 2 of ($sys*) and any of ($net*)
}
