/*
 * TEST-ONLY shim for running the Windows build under Wine 8.0 (Debian 12),
 * which lacks bcryptprimitives.dll. The Rust standard library (1.78+) gets
 * its random numbers from ProcessPrng in that DLL; this forwards it to
 * RtlGenRandom (advapi32!SystemFunction036), which Wine has.
 *
 * Built and placed next to a COPY of the .exe by scripts/windows/wine_flow.sh.
 * Never shipped: real Windows 10/11 has the genuine DLL, and the Windows zip
 * (scripts/windows/package_zip.sh) refuses to include it.
 *
 *   x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll \
 *       bcryptprimitives_shim.c bcryptprimitives_shim.def -ladvapi32
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
