#!/usr/bin/env python3
"""Builds the fuzz seed corpora deterministically (no dependencies, no timestamps).

    python3 fuzz/make-seeds.py            # writes fuzz/corpus/fuzz_pe/ and fuzz/corpus/fuzz_analyze/
    python3 fuzz/make-seeds.py --check    # exits 1 when the committed seeds differ

Each seed is small (< 4 KiB) and reaches deep code, so that the fuzzer mutates from inside
the structures instead of spending its time discovering "MZ" and "PE\\0\\0":

  pe32_full.dll     PE32 i386 DLL: Rich header (valid checksum), .text/.rdata/.rsrc, imports
                    by name (KERNEL32) and by ordinal (WS2_32, named through the ordinal
                    table), a delay-load import, exports (named, ordinal-only, forwarder),
                    a resource tree (named type, RT_VERSION with fixed info and non-ASCII,
                    bidi and unpaired-surrogate strings), a CodeView RSDS and a REPRO debug
                    entry, TLS with a callback, a CLR header with metadata root, a correct
                    PE checksum and a certificate table in the overlay.
  pe32plus_full.dll the same for PE32+ (x64): 64-bit thunks and TLS, an MTOC CodeView record,
                    a wrong checksum, a plain overlay.
  pe32_tiny.exe     section-less PE32 whose import table lives in the headers (RVA == file
                    offset, the way the loader maps headers).
  pe32_weird.exe    hostile shapes: overlapping raw ranges, a section past the end of the
                    file, NumberOfRvaAndSizes above 16, an unaligned raw pointer, control
                    bytes in names, a delay-load descriptor in the old VA form, an NB10
                    CodeView record.
  dos_ne.exe        an MZ header pointing at an NE header (not PE).
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESSES = ("fuzz_pe", "fuzz_analyze")

SECTION_ALIGN = 0x1000
FILE_ALIGN = 0x200

IMAGE_SCN_CODE = 0x00000020
IMAGE_SCN_IDATA = 0x00000040
IMAGE_SCN_EXEC = 0x20000000
IMAGE_SCN_READ = 0x40000000
IMAGE_SCN_WRITE = 0x80000000


def align(v, a):
    return (v + a - 1) // a * a


def u16(v):
    return struct.pack("<H", v)


def u32(v):
    return struct.pack("<I", v)


def u64(v):
    return struct.pack("<Q", v)


def cstr(s):
    return s.encode("latin-1") + b"\0"


def utf16(s):
    """UTF-16LE; a str may hold lone surrogates (written as they are, like a hostile file)."""
    out = bytearray()
    for ch in s:
        cp = ord(ch)
        if cp > 0xFFFF:
            cp -= 0x10000
            out += u16(0xD800 | (cp >> 10)) + u16(0xDC00 | (cp & 0x3FF))
        else:
            out += u16(cp)
    return bytes(out)


class Section:
    def __init__(self, name, rva, chars):
        self.name, self.rva, self.chars = name, rva, chars
        self.data = bytearray()
        self.raw_offset = 0

    def add(self, b, al=4):
        """Appends b (aligned to al) and returns its RVA."""
        while len(self.data) % al:
            self.data.append(0)
        at = self.rva + len(self.data)
        self.data += b
        return at

    def patch(self, rva, b):
        off = rva - self.rva
        self.data[off:off + len(b)] = b

    def offset_of(self, rva):
        return self.raw_offset + (rva - self.rva)


# ------------------------------------------------------------------ DOS header and Rich

DOS_STUB = (bytes.fromhex("0e1fba0e00b409cd21b8014ccd21")
            + b"This program cannot be run in DOS mode.\r\r\n$" + bytes(7))


def rol32(v, n):
    n &= 31
    v &= 0xFFFFFFFF
    return ((v << n) | (v >> (32 - n))) & 0xFFFFFFFF if n else v


def dos_header(e_lfanew):
    h = bytearray(64)
    h[0:2] = b"MZ"
    struct.pack_into("<HHHHHHHHHHHHH", h, 2, 0x90, 3, 0, 4, 0, 0xFFFF, 0, 0xB8, 0, 0, 0, 0x40, 0)
    struct.pack_into("<I", h, 0x3C, e_lfanew)
    return bytes(h)


def rich_block(prefix, entries):
    """The Rich header that follows prefix (DOS header + stub), with the linker's checksum
    (the algorithm of lib/rich.c: bytes rotated by offset, e_lfanew skipped, plus each
    comp.id rotated by its count)."""
    dans_at = len(prefix)
    csum = dans_at
    for i, b in enumerate(prefix):
        if 0x3C <= i < 0x40:
            continue
        csum = (csum + rol32(b, i)) & 0xFFFFFFFF
    for comp_id, count in entries:
        csum = (csum + rol32(comp_id, count & 31)) & 0xFFFFFFFF
    key = csum
    out = bytearray()
    out += u32(0x536E6144 ^ key) + u32(key) * 3
    for comp_id, count in entries:
        out += u32(comp_id ^ key) + u32(count ^ key)
    out += b"Rich" + u32(key)
    return bytes(out)


RICH_ENTRIES = [((0x0104 << 16) | 30795, 5), ((0x0105 << 16) | 30795, 12), ((0x0102 << 16) | 30795, 1)]


# ------------------------------------------------------------------ PE checksum

def pe_checksum(data, checksum_offset):
    total = 0
    padded = data + bytes(-len(data) % 4)
    for off in range(0, len(padded), 4):
        if off == checksum_offset:
            continue
        total += struct.unpack_from("<I", padded, off)[0]
        total = (total & 0xFFFFFFFF) + (total >> 32)
    total = (total & 0xFFFF) + (total >> 16)
    total = total + (total >> 16)
    total &= 0xFFFF
    return (total + len(data)) & 0xFFFFFFFF


# ------------------------------------------------------------------ directories

def build_imports(sec, wide, with_delay=True, va_form_delay=False, image_base=0):
    """KERNEL32 by name, WS2_32 by ordinal; USER32 delay-loaded. Returns the directory
    entries it fills: {index: (rva, size)}."""
    tsize = 8 if wide else 4
    ord_flag = (1 << 63) if wide else (1 << 31)
    pack = u64 if wide else u32
    dirs = {}

    def hint_name(hint, name):
        return sec.add(u16(hint) + cstr(name), 2)

    k32 = sec.add(cstr("KERNEL32.dll"))
    ws2 = sec.add(cstr("WS2_32.dll"))
    k32_names = [hint_name(0x2B5, "GetProcAddress"), hint_name(0x3C2, "LoadLibraryA"),
                 hint_name(0x11F, "ExitProcess")]
    ws2_ords = [23, 3, 115]  # socket, closesocket, WSAStartup

    def table(values):
        return b"".join(pack(v) for v in values) + pack(0)

    k32_ilt = sec.add(table(k32_names), tsize)
    ws2_ilt = sec.add(table([ord_flag | o for o in ws2_ords]), tsize)
    k32_iat = sec.add(table(k32_names), tsize)
    ws2_iat = sec.add(table([ord_flag | o for o in ws2_ords]), tsize)
    iat_end = ws2_iat + tsize * (len(ws2_ords) + 1)
    dirs[12] = (k32_iat, iat_end - k32_iat)  # IAT
    desc = (u32(k32_ilt) + u32(0) + u32(0) + u32(k32) + u32(k32_iat)
            + u32(ws2_ilt) + u32(0) + u32(0xFFFFFFFF) + u32(ws2) + u32(ws2_iat)
            + bytes(20))
    at = sec.add(desc)
    dirs[1] = (at, len(desc))

    if with_delay:
        user = sec.add(cstr("USER32.dll"))
        mb = hint_name(0, "MessageBoxA")
        gw = hint_name(0, "GetWindowTextW")
        hmod = sec.add(bytes(tsize), tsize)
        d_int = sec.add(table([mb, gw]), tsize)
        d_iat = sec.add(table([0x1000, 0x1000]), tsize)
        if va_form_delay:
            # grAttrs 0: pre-VC6 form, every field is a VA (i386 only).
            fields = [0, image_base + user, image_base + hmod, image_base + d_iat,
                      image_base + d_int, 0, 0, 0]
        else:
            fields = [1, user, hmod, d_iat, d_int, 0, 0, 0x5F000000]
        ddesc = b"".join(u32(f & 0xFFFFFFFF) for f in fields) + bytes(32)
        at = sec.add(ddesc)
        dirs[13] = (at, len(ddesc))
    return dirs


def build_exports(sec, code_rva, dll_name="seed.dll"):
    """Two named exports (one a forwarder), one ordinal-only, one empty slot."""
    start = sec.add(b"", 4)
    dir_rva = sec.add(bytes(40))
    name = sec.add(cstr(dll_name))
    n_alpha = sec.add(cstr("Alpha"))
    n_fwd = sec.add(cstr("Forwarded"))
    fwd = sec.add(cstr("NTDLL.RtlGetVersion"))
    funcs = sec.add(u32(code_rva) + u32(fwd) + u32(0) + u32(code_rva + 1))
    names = sec.add(u32(n_alpha) + u32(n_fwd))
    ords = sec.add(u16(0) + u16(1), 2)
    end = sec.add(b"", 4)
    d = (u32(0) + u32(0x5F000001) + u16(0) + u16(0) + u32(name) + u32(1) + u32(4) + u32(2)
         + u32(funcs) + u32(names) + u32(ords))
    sec.patch(dir_rva, d)
    return {0: (start, end - start)}


def build_debug(sec, pdb, kinds=("RSDS", "REPRO")):
    """Debug entries: CodeView RSDS, NB10 or MTOC records, a REPRO hash. PointerToRawData
    is patched after layout (see full_image)."""
    guid = bytes.fromhex("00112233445566778899aabbccddeeff")
    records = []
    for kind in kinds:
        if kind == "RSDS":
            records.append((2, b"RSDS" + guid + u32(3) + cstr(pdb)))
        elif kind == "NB10":
            records.append((2, b"NB10" + u32(0) + u32(0x5F000003) + u32(7) + cstr(pdb)))
        elif kind == "MTOC":
            records.append((2, b"MTOC" + guid + cstr(pdb)))
        elif kind == "REPRO":
            records.append((16, u32(32) + bytes(range(32))))
    placed = [(t, len(b), sec.add(b)) for t, b in records]
    entries = b"".join(u32(0) + u32(0x5F000002) + u16(0) + u16(0) + u32(t) + u32(n) + u32(rva) + u32(0)
                       for t, n, rva in placed)
    at = sec.add(entries)
    fixups = [(at + 28 * i + 24, rva) for i, (_, _, rva) in enumerate(placed)]
    return {6: (at, len(entries))}, fixups


def build_tls(sec, wide, image_base, callback_rva):
    pack = u64 if wide else u32
    tsize = 8 if wide else 4
    raw = sec.add(b"TLSDATA\0", 8)
    index = sec.add(u32(0))
    cbs = sec.add(pack(image_base + callback_rva) + pack(0), tsize)
    d = (pack(image_base + raw) + pack(image_base + raw + 8) + pack(image_base + index)
         + pack(image_base + cbs) + u32(0) + u32(0x00300000))
    at = sec.add(d, tsize)
    return {9: (at, len(d))}


def build_clr(sec):
    version = b"v4.0.30319\0\0"
    md = (u32(0x424A5342) + u16(1) + u16(1) + u32(0) + u32(len(version)) + version
          + u16(0) + u16(1)                                  # flags, one stream
          + u32(0x6C) + u32(4) + b"#~\0\0")                  # a stream header (offset, size, name)
    md_rva = sec.add(md)
    hdr = (u32(72) + u16(2) + u16(5) + u32(md_rva) + u32(len(md)) + u32(1) + u32(0x06000001)
           + bytes(8 * 6))
    at = sec.add(hdr)
    return {14: (at, len(hdr))}


# Version info: (key, value) pairs; U+202E and an unpaired surrogate are what hostile files
# carry to fool a terminal or a converter.
VERSION_STRINGS = [
    ("CompanyName", "pesleuth seeds \u00e9\u2713"),
    ("FileDescription", "desc \u202eexe.txt\u202c and \ud800 lone"),
    ("FileVersion", "1.2.3.4"),
    ("OriginalFilename", "seed.dll"),
    ("ProductName", "pesleuth"),
]


def vs_node(key, value, wtype, value_len, children=b""):
    body = bytearray(6) + utf16(key) + b"\0\0"
    while len(body) % 4:
        body.append(0)
    body += value
    while len(body) % 4:
        body.append(0)
    body += children
    struct.pack_into("<HHH", body, 0, len(body), value_len, wtype)
    return bytes(body)


def pad4(b):
    return b + bytes(-len(b) % 4)


def version_info():
    fixed = struct.pack("<13I", 0xFEEF04BD, 0x00010000, 0x00010002, 0x00030004, 0x00010002,
                        0x00030004, 0x3F, 0, 0x40004, 2, 0, 0, 0)
    strings = b"".join(pad4(vs_node(k, utf16(v) + b"\0\0", 1, len(v) + 1)) for k, v in VERSION_STRINGS)
    table = vs_node("040904b0", b"", 1, 0, strings)
    sfi = vs_node("StringFileInfo", b"", 1, 0, pad4(table))
    var = vs_node("Translation", u32(0x04B00409), 0, 4)
    vfi = vs_node("VarFileInfo", b"", 1, 0, pad4(var))
    return vs_node("VS_VERSION_INFO", fixed, 0, len(fixed), pad4(sfi) + vfi)


def build_resources(sec):
    """Root: a named type "SEED\u202eDATA" and RT_VERSION (16); each -> id 1 -> lang 0x409."""
    base = sec.rva

    def directory(named, ids):
        return u32(0) + u32(0) + u16(4) + u16(0) + u16(named) + u16(ids)

    # Fixed layout: root (16+2*8), two name dirs (16+8 each), two lang dirs (16+8 each),
    # two data entries (16 each), then the name string and the data.
    root = 0
    name_dirs = [root + 32, root + 32 + 24]
    lang_dirs = [name_dirs[1] + 24, name_dirs[1] + 48]
    data_entries = [lang_dirs[1] + 24, lang_dirs[1] + 24 + 16]
    strings_at = data_entries[1] + 16
    type_name = "SEED\u202eDATA"
    name_blob = u16(len(type_name)) + utf16(type_name)
    payload_at = align(strings_at + len(name_blob), 4)
    custom = b"custom resource data\0"
    ver = version_info()
    ver_at = align(payload_at + len(custom), 4)
    out = bytearray(ver_at + len(ver))
    out[root:root + 32] = (directory(1, 1)
                           + u32(0x80000000 | strings_at) + u32(0x80000000 | name_dirs[0])
                           + u32(16) + u32(0x80000000 | name_dirs[1]))
    for i in range(2):
        out[name_dirs[i]:name_dirs[i] + 24] = directory(0, 1) + u32(1) + u32(0x80000000 | lang_dirs[i])
        out[lang_dirs[i]:lang_dirs[i] + 24] = directory(0, 1) + u32(0x409) + u32(data_entries[i])
    out[data_entries[0]:data_entries[0] + 16] = u32(base + payload_at) + u32(len(custom)) + u32(1252) + u32(0)
    out[data_entries[1]:data_entries[1] + 16] = u32(base + ver_at) + u32(len(ver)) + u32(0) + u32(0)
    out[strings_at:strings_at + len(name_blob)] = name_blob
    out[payload_at:payload_at + len(custom)] = custom
    out[ver_at:ver_at + len(ver)] = ver
    at = sec.add(bytes(out))
    assert at == base
    return {2: (at, len(out))}


# ------------------------------------------------------------------ image assembly

def assemble(wide, sections, dirs, entry, image_base, characteristics, dll_chars=0x0140,
             rich=True, n_rva=16, checksum="correct", overlay=b"", cert=False, machine=None):
    stub = dos_header(0) + DOS_STUB
    if rich:
        stub += rich_block(stub, RICH_ENTRIES)
    e_lfanew = align(len(stub), 8)
    opt_size = 240 if wide else 224
    headers_end = e_lfanew + 24 + opt_size + 40 * len(sections)
    size_of_headers = align(headers_end, FILE_ALIGN)
    raw = size_of_headers
    for s in sections:
        s.raw_offset = raw
        raw += align(len(s.data), FILE_ALIGN)
    file_end = raw
    size_of_image = align(sections[-1].rva + max(len(sections[-1].data), 1), SECTION_ALIGN) \
        if sections else align(size_of_headers, SECTION_ALIGN)

    if cert:
        der = bytes.fromhex("300b06092a864886f70d010702")  # SEQUENCE { OID signedData }
        wc = u32(8 + len(der)) + u16(0x0200) + u16(0x0002) + der
        wc += bytes(-len(wc) % 8)
        overlay = overlay + bytes(-(file_end + len(overlay)) % 8)
        dirs = dict(dirs)
        dirs[4] = (file_end + len(overlay), len(wc))
        overlay += wc

    def code_size(flag):
        return sum(align(len(s.data), FILE_ALIGN) for s in sections if s.chars & flag)

    img = bytearray(file_end)
    dos = bytearray(stub)
    struct.pack_into("<I", dos, 0x3C, e_lfanew)
    img[0:len(dos)] = dos
    p = e_lfanew
    img[p:p + 4] = b"PE\0\0"
    mach = machine if machine is not None else (0x8664 if wide else 0x014C)
    img[p + 4:p + 24] = struct.pack("<HHIIIHH", mach, len(sections), 0x5F000000, 0, 0,
                                    opt_size, characteristics)
    o = p + 24
    opt = bytearray()
    opt += u16(0x20B if wide else 0x10B) + bytes([14, 36])
    opt += u32(code_size(IMAGE_SCN_CODE)) + u32(code_size(IMAGE_SCN_IDATA)) + u32(0)
    opt += u32(entry) + u32(sections[0].rva if sections else 0)
    if wide:
        opt += u64(image_base)
    else:
        opt += u32(sections[1].rva if len(sections) > 1 else 0) + u32(image_base)
    opt += u32(SECTION_ALIGN) + u32(FILE_ALIGN)
    opt += u16(6) + u16(0) + u16(0) + u16(0) + u16(6) + u16(0) + u32(0)
    opt += u32(size_of_image) + u32(size_of_headers) + u32(0)  # checksum patched below
    opt += u16(2) + u16(dll_chars)
    pk = u64 if wide else u32
    opt += pk(0x100000) + pk(0x1000) + pk(0x100000) + pk(0x1000)
    opt += u32(0) + u32(n_rva)
    for i in range(min(n_rva, 16)):
        rva, size = dirs.get(i, (0, 0))
        opt += u32(rva) + u32(size)
    opt = opt[:opt_size]
    img[o:o + len(opt)] = opt
    t = o + opt_size
    for s in sections:
        name = s.name.encode("latin-1")[:8].ljust(8, b"\0")
        img[t:t + 40] = name + struct.pack("<IIIIIIHHI", len(s.data), s.rva, align(len(s.data), FILE_ALIGN),
                                           s.raw_offset, 0, 0, 0, 0, s.chars)
        t += 40
        img[s.raw_offset:s.raw_offset + len(s.data)] = s.data
    img += overlay
    csum_off = o + 64
    if checksum == "correct":
        struct.pack_into("<I", img, csum_off, pe_checksum(bytes(img), csum_off))
    elif checksum == "wrong":
        struct.pack_into("<I", img, csum_off, 0x0BADC0DE)
    return img


def full_image(wide):
    image_base = 0x180000000 if wide else 0x10000000
    text = Section(".text", 0x1000, IMAGE_SCN_CODE | IMAGE_SCN_EXEC | IMAGE_SCN_READ)
    rdata = Section(".rdata", 0x2000, IMAGE_SCN_IDATA | IMAGE_SCN_READ)
    rsrc = Section(".rsrc", 0x3000, IMAGE_SCN_IDATA | IMAGE_SCN_READ)
    # DllMain/TLS callback: mov eax,1; ret 0xC (x86) or mov eax,1; ret (x64)
    code = bytes.fromhex("b801000000c3") if wide else bytes.fromhex("b801000000c20c00")
    entry = text.add(code)
    cb = text.add(bytes.fromhex("c3"))
    dirs = {}
    dirs.update(build_imports(rdata, wide))
    dirs.update(build_exports(rdata, entry))
    dbg, fixups = build_debug(rdata, "C:\\build\\seed\\Release\\seed.pdb",
                              ("RSDS", "MTOC", "REPRO") if wide else ("RSDS", "REPRO"))
    dirs.update(dbg)
    dirs.update(build_tls(rdata, wide, image_base, cb))
    dirs.update(build_clr(rdata))
    dirs.update(build_resources(rsrc))
    sections = [text, rdata, rsrc]
    # Layout is known once the headers are sized: patch PointerToRawData of debug entries.
    assemble(wide, sections, dirs, entry, image_base, 0x2102 if not wide else 0x2022)
    for at, rva in fixups:
        rdata.patch(at, u32(rdata.offset_of(rva)))
    return assemble(wide, sections, dirs, entry, image_base, 0x2102 if not wide else 0x2022,
                    checksum="correct" if not wide else "wrong", cert=not wide,
                    overlay=b"" if not wide else b"OVERLAY!")


def tiny_image():
    """No sections: everything is read from the headers at offset == RVA."""
    size = 0x200
    img = bytearray(size)
    img[0:64] = dos_header(0x40)
    e = 0x40
    img[e:e + 4] = b"PE\0\0"
    img[e + 4:e + 24] = struct.pack("<HHIIIHH", 0x014C, 0, 0, 0, 0, 224, 0x0102)
    o = e + 24
    imp = 0x160  # descriptor, then tables and strings, all inside the 0x200 bytes
    ilt, name, hn = 0x188, 0x190, 0x1A0  # two descriptors (the second all zero) end at 0x188
    opt = bytearray(224)
    struct.pack_into("<HBB", opt, 0, 0x10B, 14, 0)
    struct.pack_into("<I", opt, 16, 0x1C0)              # entry point (in the headers)
    struct.pack_into("<I", opt, 28, 0x400000)           # image base
    struct.pack_into("<II", opt, 32, 0x200, 0x200)      # section/file alignment
    struct.pack_into("<HH", opt, 48, 6, 0)               # subsystem version
    struct.pack_into("<II", opt, 56, 0x1000, 0x200)     # SizeOfImage, SizeOfHeaders
    struct.pack_into("<HH", opt, 68, 3, 0)               # console
    struct.pack_into("<I", opt, 92, 16)
    struct.pack_into("<II", opt, 96 + 8, imp, 40)        # import directory
    img[o:o + 224] = opt
    img[imp:imp + 20] = u32(ilt) + u32(0) + u32(0) + u32(name) + u32(ilt)
    img[ilt:ilt + 8] = u32(hn) + u32(0)
    img[name:name + 13] = cstr("KERNEL32.dll")
    img[hn:hn + 14] = u16(0) + cstr("ExitProcess")
    img[0x1C0:0x1C8] = bytes.fromhex("6a00ff1588014000")  # push 0; call [0x400188]
    return img


def weird_image():
    """Shapes that hostile files use; each one is a branch of the parser."""
    image_base = 0x400000
    text = Section("UPX0", 0x1000, IMAGE_SCN_CODE | IMAGE_SCN_EXEC | IMAGE_SCN_READ | IMAGE_SCN_WRITE)
    data = Section("\xff\x1b[31m\x00", 0x2000, IMAGE_SCN_IDATA | IMAGE_SCN_READ | IMAGE_SCN_WRITE)
    entry = text.add(bytes.fromhex("60be00200000") + bytes(range(256))[:200])  # pushad; mov esi
    dirs = {}
    dirs.update(build_imports(data, False, with_delay=True, va_form_delay=True, image_base=image_base))
    dirs.update(build_exports(data, entry, dll_name="\x01evil\x7f.dll"))
    dbg, fixups = build_debug(data, "\\\\?\\C:\\x\x1b[2J.pdb", ("NB10",))
    dirs.update(dbg)
    sections = [text, data]
    assemble(False, sections, dirs, entry, image_base, 0x0103, n_rva=0x20, rich=False,
             checksum="none", dll_chars=0)
    for at, rva in fixups:
        data.patch(at, u32(data.offset_of(rva)))
    img = assemble(False, sections, dirs, entry, image_base, 0x0103, n_rva=0x20, rich=False,
                   checksum="none", dll_chars=0)
    # A third section header, whose raw data lies far past the end of the file.
    e_lfanew = struct.unpack_from("<I", img, 0x3C)[0]
    coff = e_lfanew + 4
    struct.pack_into("<H", img, coff + 2, 3)
    table = e_lfanew + 24 + 224
    third = table + 80
    img[third:third + 40] = b".bss\0\0\0\0" + struct.pack("<IIIIIIHHI", 0x10000, 0x3000, 0x10000,
                                                         0x7FFFFF00, 0, 0, 0, 0, 0xC0000080)
    # Overlapping raw data: .text's raw size covers the data section too.
    struct.pack_into("<I", img, table + 16, 0x400)
    # The data section's PointerToRawData 0x1ff past its data: the loader rounds it down.
    ptr = struct.unpack_from("<I", img, table + 40 + 20)[0]
    struct.pack_into("<I", img, table + 40 + 20, ptr + 0x1FF)
    img += b"\x00overlay with \x1b]0;title\x07 escape\n"
    return img


def dos_ne():
    img = bytearray(0x80)
    img[0:64] = dos_header(0x40)
    img[0x40:0x44] = b"NE\x05\x0a"
    return img


def seeds():
    return {
        "pe32_full.dll": bytes(full_image(False)),
        "pe32plus_full.dll": bytes(full_image(True)),
        "pe32_tiny.exe": bytes(tiny_image()),
        "pe32_weird.exe": bytes(weird_image()),
        "dos_ne.exe": bytes(dos_ne()),
    }


def main():
    check = "--check" in sys.argv[1:]
    out = seeds()
    total = 0
    for name, data in out.items():
        assert len(data) < 4096, (name, len(data))
        total += len(data)
    assert total * len(HARNESSES) < 64 * 1024, total
    stale = []
    for h in HARNESSES:
        d = os.path.join(HERE, "corpus", h)
        if not check:
            os.makedirs(d, exist_ok=True)
        for name, data in sorted(out.items()):
            path = os.path.join(d, name)
            if check:
                try:
                    with open(path, "rb") as f:
                        same = f.read() == data
                except OSError:
                    same = False
                if not same:
                    stale.append(path)
            else:
                with open(path, "wb") as f:
                    f.write(data)
    if check:
        for p in stale:
            print("stale seed: %s (run python3 fuzz/make-seeds.py)" % p)
        return 1 if stale else 0
    for name, data in sorted(out.items()):
        print("%-20s %5d bytes" % (name, len(data)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
