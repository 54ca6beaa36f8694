"""Builds sfu/_fastpath (cffi, C): one forwarded RTP packet's header, SRTP protect and sendto in
one call. ``make setup`` runs it (``python sfu/fastpath_build.py``); without it the SFU forwards
in Python (sfu.fastpath says which path a process uses).

Nothing new is linked: libsrtp's ``srtp_protect`` is called through the function pointer that
pylibsrtp's own cffi module exports, on the ``srtp_t`` of aiortc's session for that subscriber,
so both paths share one SRTP state (and produce the same bytes, sfu/tests/test_fastpath.py).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import cffi

CDEF = """
int sfu_send_rtp(uintptr_t protect, uintptr_t srtp, int fd, const char *addr, int addrlen,
                 int marker_pt, int seq, uint32_t timestamp, uint32_t ssrc,
                 const char *ext_head, int ext_head_len, const char *abs_send_time, int pad,
                 const char *payload, int payload_len, int max_len, char *out, int *out_len);
int sfu_sockaddr(int family, const char *ip, int port, uint32_t scope_id, char *out);
"""

SOURCE = r"""
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* libsrtp 2's srtp_protect(srtp_t, void *rtp, int *len): its status is an int enum, 0 = ok. */
typedef int (*sfu_protect_fn)(void *srtp, void *rtp, int *len);

#define SFU_BUFFER 1500  /* pylibsrtp's own buffer size: the same packets fit or are refused */
#define SFU_MAX_TRAILER 144  /* libsrtp 2: SRTP_MAX_TAG_LEN + SRTP_MAX_MKI_LEN, written after len */

/* The packet SubscriberStream.forward builds in Python (one struct pack: V=2 with X set, M|PT,
   seq, timestamp, SSRC, the stream's extension block up to the abs-send-time value, the value,
   `pad` zero bytes), then the payload as it came; protected in place and sent with one sendto.
   Returns 0 when sent; -errno when sendto failed, with the protected datagram copied to `out`
   (its length in *out_len) so the caller can queue it (EAGAIN) in asyncio's transport;
   -100000 - status when srtp_protect failed; -200000 when it does not fit (`max_len` is what
   pylibsrtp accepts: its buffer less the largest SRTP trailer). */
int sfu_send_rtp(uintptr_t protect, uintptr_t srtp, int fd, const char *addr, int addrlen,
                 int marker_pt, int seq, uint32_t timestamp, uint32_t ssrc,
                 const char *ext_head, int ext_head_len, const char *abs_send_time, int pad,
                 const char *payload, int payload_len, int max_len, char *out, int *out_len)
{
    unsigned char buf[SFU_BUFFER];
    int len = 12 + ext_head_len + 3 + pad + payload_len;
    if (len > max_len || len > SFU_BUFFER - SFU_MAX_TRAILER || ext_head_len < 0 || pad < 0 || payload_len < 0)
        return -200000;
    buf[0] = 0x90;
    buf[1] = (unsigned char)marker_pt;
    buf[2] = (unsigned char)(seq >> 8);
    buf[3] = (unsigned char)seq;
    uint32_t be = htonl(timestamp);
    memcpy(buf + 4, &be, 4);
    be = htonl(ssrc);
    memcpy(buf + 8, &be, 4);
    unsigned char *p = buf + 12;
    memcpy(p, ext_head, ext_head_len);
    p += ext_head_len;
    memcpy(p, abs_send_time, 3);
    p += 3;
    memset(p, 0, pad);
    p += pad;
    memcpy(p, payload, payload_len);
    int status = ((sfu_protect_fn)protect)((void *)srtp, buf, &len);
    if (status != 0)
        return -100000 - status;
    if (sendto(fd, buf, len, 0, (const struct sockaddr *)addr, (socklen_t)addrlen) >= 0)
        return 0;
    int err = errno;
    memcpy(out, buf, len);
    *out_len = len;
    return -err;
}

/* A socket address for sendto, from what Python's sendto takes: (ip, port[, flow, scope]).
   Returns its length, or -1 for an address inet_pton does not read. `out`: 28 bytes. */
int sfu_sockaddr(int family, const char *ip, int port, uint32_t scope_id, char *out)
{
    if (family == AF_INET) {
        struct sockaddr_in a;
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, ip, &a.sin_addr) != 1)
            return -1;
        memcpy(out, &a, sizeof a);
        return (int)sizeof a;
    }
    if (family == AF_INET6) {
        struct sockaddr_in6 a;
        memset(&a, 0, sizeof a);
        a.sin6_family = AF_INET6;
        a.sin6_port = htons((uint16_t)port);
        a.sin6_scope_id = scope_id;
        if (inet_pton(AF_INET6, ip, &a.sin6_addr) != 1)
            return -1;
        memcpy(out, &a, sizeof a);
        return (int)sizeof a;
    }
    return -1;
}
"""

ffibuilder = cffi.FFI()
ffibuilder.cdef(CDEF)
ffibuilder.set_source("sfu._fastpath", SOURCE, extra_compile_args=["-O2"])


def build() -> Path:
    """Compile sfu/_fastpath*.so next to this file; its path. Built in a scratch directory (the
    project's pyproject.toml would otherwise be taken for the extension's own)."""
    here = Path(__file__).resolve().parent
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="sfu-fastpath-") as tmp:
        os.chdir(tmp)
        try:
            built = Path(ffibuilder.compile(tmpdir=tmp, verbose=False))
        finally:
            os.chdir(cwd)
        target = here / built.name
        shutil.copyfile(built, target.with_suffix(".tmp"))
        target.with_suffix(".tmp").replace(target)  # atomic: a running SFU keeps its mapping
    return target


if __name__ == "__main__":
    try:
        print(f"sfu fast path built: {build()}")
    except Exception as exc:  # no compiler: the SFU forwards in Python (slower, same bytes)
        print(f"sfu fast path not built ({exc}); the SFU will forward in Python", file=sys.stderr)
