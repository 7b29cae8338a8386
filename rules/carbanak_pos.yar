/*
 * pesleuth rule pack: Carbanak/Anunak point-of-sale malware (2014-2015).
 *
 * Source: Trend Micro, "POS malware seen last year was digitally signed, linked to a targeted
 * attack" (Japanese edition, 2015; ../shared/seeds/004_*.txt). Facts used, translated:
 *  Sample SHA-1 d8e79a7d21a138bc02ec99cfb9dc59e2e0cedf09 (POS malware, CARBERP lineage):
 *  - starts the host process "svchost.exe" with the parameter "-k netsvc" suspended, writes
 *    the decrypted PE image into it through NT* functions, sets the thread context and
 *    resumes the thread (process hollowing); it resolves NT* functions itself by walking PE
 *    header tables, and uses GetProcAddress;
 *  - looks for the NSB Retail System log under "C:\NSB\Coalition\Logs" and
 *    "nsb.pos.client.log" (Epicor/NSB POS);
 *  - searches for files with the extensions bml cgi gif htm html jpg php png pst shtml txt;
 *  - uses VNC and remote desktop, changes the Windows firewall settings to give itself
 *    network access, references "mimikatz" (clear-text passwords from LSASS), logs keys;
 *  - fixed C&C servers 83.166.234.250 (ports 80, 443) and 83.166.234.237 (443); the DLL
 *    variant CCAD1C5037CE2A7A39F4B571FC10BE213249E611 uses 5.61.38.52:443;
 *  - carries the CARBERP plugins "vnc.plug" (VNC), an iFOBS remote banking plugin and an Ammy
 *    remote desktop plugin (the report's text keeps only the name vnc.plug; the other two
 *    are named by what they control).
 *  Sample SHA-1 a0527db046665ee43205f963dd40c455219beddd:
 *  - creates a file "ms*.exe" and a start-up value under
 *    HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\policies\Explorer\Run;
 *  - changes the "Zone.Identifier" alternate data stream to avoid the security warning;
 *  - asks for SeRestorePrivilege, SeBackupPrivilege and SeDebugPrivilege;
 *  - anti-debugging, unpacks into .text, allocates a block at 0x7FF90000 (near the top of
 *    user space), unpacks code there and jumps to it.
 *
 * The samples protect their strings and API names (the report needed a decode table), so
 * string rules see them in unprotected builds, in decrypted memory dumps and in the unpacked
 * image. Each rule needs its fact plus other facts of the same sample, so that the vendor's
 * own POS software, backup tools, autostart managers and installers (which share single
 * traits) do not match: a rule of the first sample needs one more of its traits; a rule of the
 * second sample needs two of the other three (Run key with ms*.exe, Zone.Identifier, the three
 * privileges, 0x7FF90000 as an instruction immediate).
 *
 * Fixtures. tests/unit/test_rules.c reads the "fixture" lines below, builds each buffer in
 * memory (MZ = "MZ" padded with zeros to 64 bytes; each quoted string follows, then a NUL;
 * W"..." is the same text in UTF-16LE; \xNN escapes a byte) and checks that the rule matches
 * it and does not match the same number of zero bytes. The exact strings a benign file needs:
 *
 * fixture Carbanak_POS_NSB_Log_Targeting: MZ "C:\\NSB\\Coalition\\Logs" W"nsb.pos.client.log" "mimikatz"
 * fixture Carbanak_POS_File_Extension_Search: MZ ".bml" ".cgi" ".gif" ".htm" ".html" ".jpg" ".php" ".png" ".pst" ".shtml" ".txt" "nsb.pos.client.log"
 * fixture Carbanak_Carberp_Plugins: MZ "vnc.plug" "ifobs.plug" "ammy.plug"
 * fixture Carbanak_Svchost_Netsvc_Hollowing: MZ W"svchost.exe -k netsvc" "NtWriteVirtualMemory" "NtSetContextThread" "NtResumeThread"
 * fixture Carbanak_POS_Mimikatz_Reference: MZ "mimikatz" "vnc.plug"
 * fixture Carbanak_POS_CnC_Addresses: MZ "83.166.234.250" "NtResumeThread" "svchost.exe -k netsvc"
 * fixture Carbanak_Anunak_Policies_Run_Persistence: MZ W"Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\Explorer\\Run" W"\\mssvc32.exe" W":Zone.Identifier" "SeRestorePrivilege" "SeBackupPrivilege" "SeDebugPrivilege"
 * fixture Carbanak_Anunak_Zone_Identifier_Tampering: MZ "%s:Zone.Identifier" "SeRestorePrivilege" "SeBackupPrivilege" "SeDebugPrivilege" "\x68\x00\x00\xf9\x7f"
 * fixture Carbanak_Anunak_Privilege_Trio: MZ "SeRestorePrivilege" "SeBackupPrivilege" "SeDebugPrivilege" "policies\\Explorer\\Run" "ms%08x.exe" "\xb9\x00\x00\xf9\x7f"
 * fixture Carbanak_Anunak_High_Alloc_Unpacker: MZ "\x68\x00\x00\xf9\x7f" "VirtualAlloc" ":Zone.Identifier" "SeDebugPrivilege" "SeBackupPrivilege" "SeRestorePrivilege"
 */

// Prefilter (pesleuth runs this file's rules only on files with one of these literals in a
// printable ASCII or UTF-16LE run, case-insensitively; every rule below needs one of them:
// NSB paths, mimikatz, vnc.plug, the netsvc command line, the C&C addresses, the Run key,
// Zone.Identifier, SeRestorePrivilege). Keep it in step with the conditions.
// pesleuth-prefilter: "nsb.pos.client.log" "nsb\\coalition\\logs" "mimikatz" "vnc.plug" "svchost.exe -k netsvc"
// pesleuth-prefilter: "83.166.234.250" "83.166.234.237" "5.61.38.52"
// pesleuth-prefilter: "policies\\explorer\\run" ":zone.identifier" "serestoreprivilege"

rule Carbanak_POS_NSB_Log_Targeting
{
    meta:
        description = "PE that looks for the Epicor/NSB POS logs and carries another trait of the Carbanak POS malware"
        author = "pesleuth"
        reference = "Trend Micro, POS malware seen last year was digitally signed, linked to a targeted attack (2015): searches C:\\NSB\\Coalition\\Logs and nsb.pos.client.log"
        severity = "critical"
        attack = "T1005"
        date = "2026-11-22"

    strings:
        $nsb_dir = "C:\\NSB\\Coalition\\Logs" nocase ascii wide
        $nsb_log = "nsb.pos.client.log" nocase ascii wide
        $mimikatz = "mimikatz" nocase ascii wide
        $vnc_plug = "vnc.plug" nocase ascii wide
        $netsvc = "svchost.exe -k netsvc" nocase ascii wide
        $fw1 = "AuthorizedApplications\\List" nocase ascii wide
        $fw2 = "firewall add allowedprogram" nocase ascii wide
        $e_bml = ".bml" nocase ascii wide
        $e_pst = ".pst" nocase ascii wide
        $e_shtml = ".shtml" nocase ascii wide

    condition:
        uint16(0) == 0x5A4D and $nsb_dir and $nsb_log and
        ($mimikatz or $vnc_plug or $netsvc or any of ($fw*) or all of ($e_*))
}

rule Carbanak_POS_File_Extension_Search
{
    meta:
        description = "PE with the Carbanak POS malware's list of file extensions to search (bml cgi gif htm html jpg php png pst shtml txt) and another trait of it"
        author = "pesleuth"
        reference = "Trend Micro, POS malware seen last year was digitally signed, linked to a targeted attack (2015): searches files with the extensions bml, cgi, gif, htm, html, jpg, php, png, pst, shtml, txt"
        severity = "high"
        attack = "T1083"
        date = "2026-11-22"

    strings:
        $bml = ".bml" nocase ascii wide
        $pst = ".pst" nocase ascii wide
        $shtml = ".shtml" nocase ascii wide
        $e1 = ".cgi" nocase ascii wide
        $e2 = ".gif" nocase ascii wide
        $e3 = ".htm" nocase ascii wide
        $e4 = ".html" nocase ascii wide
        $e5 = ".jpg" nocase ascii wide
        $e6 = ".php" nocase ascii wide
        $e7 = ".png" nocase ascii wide
        $e8 = ".txt" nocase ascii wide
        $nsb_dir = "C:\\NSB\\Coalition\\Logs" nocase ascii wide
        $nsb_log = "nsb.pos.client.log" nocase ascii wide
        $mimikatz = "mimikatz" nocase ascii wide
        $vnc_plug = "vnc.plug" nocase ascii wide
        $netsvc = "svchost.exe -k netsvc" nocase ascii wide

    condition:
        uint16(0) == 0x5A4D and
        // the three unusual ones always, and most of the others
        $bml and $pst and $shtml and 6 of ($e*) and
        // kept together as one list: every one within 4 KiB of .bml
        for 9 of ($bml, $pst, $shtml, $e*) : (@ + 0x1000 > @bml[1] and @ < @bml[1] + 0x1000) and
        ($nsb_dir or $nsb_log or $mimikatz or $vnc_plug or $netsvc)
}

rule Carbanak_Carberp_Plugins
{
    meta:
        description = "PE naming the CARBERP plugins of the Carbanak POS malware: vnc.plug with the iFOBS banking or Ammy remote desktop plugin"
        author = "pesleuth"
        reference = "Trend Micro, POS malware seen last year was digitally signed, linked to a targeted attack (2015): CARBERP plugins vnc.plug (VNC), iFOBS remote banking, Ammy remote desktop"
        severity = "critical"
        attack = "T1219"
        date = "2026-11-22"

    strings:
        $vnc_plug = "vnc.plug" nocase ascii wide
        $ifobs = "ifobs" nocase ascii wide
        $ammy = /\bammy([ _.\-]?(admin|plug|rdp)|\.plug)/ nocase ascii wide
        $plug = /[^a-z0-9_][a-z0-9_]{2,16}\.plug\x00/ nocase

    condition:
        uint16(0) == 0x5A4D and $vnc_plug and ($ifobs or $ammy) and
        // besides vnc.plug, another *.plug file name (each counted once: the class before
        // the name stops "nc.plug" counting again) or both targets
        (#plug >= 2 or ($ifobs and $ammy))
}

rule Carbanak_Svchost_Netsvc_Hollowing
{
    meta:
        description = "PE that starts svchost.exe -k netsvc and names the NT functions that write, re-point and resume a hollowed process"
        author = "pesleuth"
        reference = "Trend Micro, POS malware seen last year was digitally signed, linked to a targeted attack (2015): starts svchost.exe -k netsvc suspended, writes the PE image with NT* functions, sets the thread context, resumes"
        severity = "high"
        attack = "T1055.012"
        date = "2026-11-22"

    strings:
        $netsvc = "svchost.exe -k netsvc" nocase ascii wide
        $write1 = "NtWriteVirtualMemory"
        $write2 = "ZwWriteVirtualMemory"
        $ctx1 = "NtSetContextThread"
        $ctx2 = "ZwSetContextThread"
        $resume1 = "NtResumeThread"
        $resume2 = "ZwResumeThread"

    condition:
        uint16(0) == 0x5A4D and $netsvc and
        any of ($write*) and any of ($ctx*) and any of ($resume*)
}

rule Carbanak_POS_Mimikatz_Reference
{
    meta:
        description = "PE that references mimikatz together with a Carbanak POS malware trait (NSB logs, CARBERP VNC plugin, svchost -k netsvc host)"
        author = "pesleuth"
        reference = "Trend Micro, POS malware seen last year was digitally signed, linked to a targeted attack (2015): references the tool mimikatz, which takes clear-text passwords from LSASS"
        severity = "high"
        attack = "T1003.001"
        date = "2026-11-22"

    strings:
        $mimikatz = "mimikatz" nocase ascii wide
        $nsb_dir = "C:\\NSB\\Coalition\\Logs" nocase ascii wide
        $nsb_log = "nsb.pos.client.log" nocase ascii wide
        $vnc_plug = "vnc.plug" nocase ascii wide
        $netsvc = "svchost.exe -k netsvc" nocase ascii wide

    condition:
        uint16(0) == 0x5A4D and $mimikatz and
        ($nsb_dir or $nsb_log or $vnc_plug or $netsvc)
}

rule Carbanak_POS_CnC_Addresses
{
    meta:
        description = "PE with a C&C address of the Carbanak POS malware and another trait of it"
        author = "pesleuth"
        reference = "Trend Micro, POS malware seen last year was digitally signed, linked to a targeted attack (2015): C&C 83.166.234.250 (80, 443), 83.166.234.237 (443); DLL variant 5.61.38.52 (443)"
        severity = "critical"
        attack = "T1071.001"
        date = "2026-11-22"

    strings:
        // not part of a longer number or address
        $ip1 = /[^0-9.]83\.166\.234\.250[^0-9]/ ascii wide
        $ip2 = /[^0-9.]83\.166\.234\.237[^0-9]/ ascii wide
        $ip3 = /[^0-9.]5\.61\.38\.52[^0-9]/ ascii wide
        $netsvc = "svchost.exe -k netsvc" nocase ascii wide
        $nsb_log = "nsb.pos.client.log" nocase ascii wide
        $vnc_plug = "vnc.plug" nocase ascii wide
        $mimikatz = "mimikatz" nocase ascii wide
        $nt1 = "NtWriteVirtualMemory"
        $nt2 = "NtResumeThread"
        $nt3 = "NtSetContextThread"

    condition:
        uint16(0) == 0x5A4D and any of ($ip*) and
        ($netsvc or $nsb_log or $vnc_plug or $mimikatz or any of ($nt*))
}

rule Carbanak_Anunak_Policies_Run_Persistence
{
    meta:
        description = "PE that installs an ms*.exe under the Policies\\Explorer\\Run key and has two other traits of the Anunak loader"
        author = "pesleuth"
        reference = "Trend Micro, POS malware seen last year was digitally signed, linked to a targeted attack (2015): creates ms*.exe and a start-up value under HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\policies\\Explorer\\Run"
        severity = "high"
        attack = "T1547.001"
        date = "2026-11-22"

    strings:
        $run = "policies\\Explorer\\Run" nocase ascii wide
        // a file name ms*.exe (a format string included) after a path separator or alone
        $ms_exe = /[\x00\\\/]ms[0-9a-z_%\-]{0,16}\.exe\x00/ nocase ascii wide
        $zone = ":Zone.Identifier" nocase ascii wide
        $priv1 = "SeRestorePrivilege" nocase ascii wide
        $priv2 = "SeBackupPrivilege" nocase ascii wide
        $priv3 = "SeDebugPrivilege" nocase ascii wide
        $alloc_imm = { ( 68 | B8 | B9 | BA | BB | BE | BF ) 00 00 F9 7F }
        $alloc_mov = { C7 ( 44 24 | 45 ) ?? 00 00 F9 7F }

    condition:
        uint16(0) == 0x5A4D and $run and $ms_exe and
        (($zone and all of ($priv*)) or
         ($zone and any of ($alloc_*)) or
         (all of ($priv*) and any of ($alloc_*)))
}

rule Carbanak_Anunak_Zone_Identifier_Tampering
{
    meta:
        description = "PE that rewrites the Zone.Identifier stream and has two other traits of the Anunak loader"
        author = "pesleuth"
        reference = "Trend Micro, POS malware seen last year was digitally signed, linked to a targeted attack (2015): changes the Zone.Identifier alternate data stream to avoid the warning pop-up"
        severity = "high"
        attack = "T1553.005"
        date = "2026-11-22"

    strings:
        $zone = ":Zone.Identifier" nocase ascii wide
        $run = "policies\\Explorer\\Run" nocase ascii wide
        $ms_exe = /[\x00\\\/]ms[0-9a-z_%\-]{0,16}\.exe\x00/ nocase ascii wide
        $priv1 = "SeRestorePrivilege" nocase ascii wide
        $priv2 = "SeBackupPrivilege" nocase ascii wide
        $priv3 = "SeDebugPrivilege" nocase ascii wide
        $alloc_imm = { ( 68 | B8 | B9 | BA | BB | BE | BF ) 00 00 F9 7F }
        $alloc_mov = { C7 ( 44 24 | 45 ) ?? 00 00 F9 7F }

    condition:
        uint16(0) == 0x5A4D and $zone and
        (($run and $ms_exe and all of ($priv*)) or
         ($run and $ms_exe and any of ($alloc_*)) or
         (all of ($priv*) and any of ($alloc_*)))
}

rule Carbanak_Anunak_Privilege_Trio
{
    meta:
        description = "PE that asks for SeRestorePrivilege, SeBackupPrivilege and SeDebugPrivilege and has two other traits of the Anunak loader"
        author = "pesleuth"
        reference = "Trend Micro, POS malware seen last year was digitally signed, linked to a targeted attack (2015): obtains elevated rights through SeRestorePrivilege, SeBackupPrivilege and SeDebugPrivilege"
        severity = "high"
        attack = "T1134"
        date = "2026-11-22"

    strings:
        $priv1 = "SeRestorePrivilege" nocase ascii wide
        $priv2 = "SeBackupPrivilege" nocase ascii wide
        $priv3 = "SeDebugPrivilege" nocase ascii wide
        $zone = ":Zone.Identifier" nocase ascii wide
        $run = "policies\\Explorer\\Run" nocase ascii wide
        $ms_exe = /[\x00\\\/]ms[0-9a-z_%\-]{0,16}\.exe\x00/ nocase ascii wide
        $alloc_imm = { ( 68 | B8 | B9 | BA | BB | BE | BF ) 00 00 F9 7F }
        $alloc_mov = { C7 ( 44 24 | 45 ) ?? 00 00 F9 7F }

    condition:
        uint16(0) == 0x5A4D and all of ($priv*) and
        (($zone and $run and $ms_exe) or
         ($zone and any of ($alloc_*)) or
         ($run and $ms_exe and any of ($alloc_*)))
}

rule Carbanak_Anunak_High_Alloc_Unpacker
{
    meta:
        description = "PE that passes 0x7FF90000 as an immediate next to VirtualAlloc (the Anunak loader unpacks there) and has two other traits of it"
        author = "pesleuth"
        reference = "Trend Micro, POS malware seen last year was digitally signed, linked to a targeted attack (2015): allocates a block at 0x7FF90000, near the top of user space, unpacks code there and returns to it"
        severity = "high"
        attack = "T1027.002"
        date = "2026-11-22"

    strings:
        // 0x7FF90000 little-endian as the immediate of push, mov r32 or mov [esp/ebp+x]: the
        // bare four bytes alone are common (NaN constants, tables), the instruction is not
        $alloc_imm = { ( 68 | B8 | B9 | BA | BB | BE | BF ) 00 00 F9 7F }
        $alloc_mov = { C7 ( 44 24 | 45 ) ?? 00 00 F9 7F }
        $va = "VirtualAlloc"
        $zone = ":Zone.Identifier" nocase ascii wide
        $run = "policies\\Explorer\\Run" nocase ascii wide
        $ms_exe = /[\x00\\\/]ms[0-9a-z_%\-]{0,16}\.exe\x00/ nocase ascii wide
        $priv1 = "SeRestorePrivilege" nocase ascii wide
        $priv2 = "SeBackupPrivilege" nocase ascii wide
        $priv3 = "SeDebugPrivilege" nocase ascii wide

    condition:
        uint16(0) == 0x5A4D and any of ($alloc_*) and $va and
        (($zone and $run and $ms_exe) or
         ($zone and all of ($priv*)) or
         ($run and $ms_exe and all of ($priv*)))
}
