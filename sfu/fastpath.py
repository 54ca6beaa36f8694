"""Which forwarding path this process uses: the C fast path (sfu/_fastpath, built by
``make setup`` from sfu/fastpath_build.py) or Python (the same bytes, slower).

``SFU_FASTPATH=0`` forces Python. The choice is logged once per process, at first use.
"""

from __future__ import annotations

import logging
import os
from typing import Any

logger = logging.getLogger(__name__)

lib: Any = None
ffi: Any = None
PROTECT = 0  # libsrtp's srtp_protect, as pylibsrtp's cffi module exports it
MAX_RTP = 0  # the largest plain RTP packet pylibsrtp protects (its buffer less the trailer)
_why_not = ""
_logged = False


def _load() -> None:
    global lib, ffi, PROTECT, MAX_RTP, _why_not
    if os.environ.get("SFU_FASTPATH", "1") == "0":
        _why_not = "SFU_FASTPATH=0"
        return
    try:
        import pylibsrtp
        from pylibsrtp._binding import ffi as srtp_ffi
        from pylibsrtp._binding import lib as srtp_lib

        from sfu import _fastpath  # type: ignore[attr-defined]
    except ImportError as exc:
        _why_not = f"not built ({exc}; make setup builds it)"
        return
    PROTECT = int(srtp_ffi.cast("uintptr_t", srtp_ffi.addressof(srtp_lib, "srtp_protect")))
    MAX_RTP = 1500 - pylibsrtp.SRTP_MAX_TRAILER_LEN
    lib, ffi = _fastpath.lib, _fastpath.ffi


def available() -> bool:
    """True when forwarding goes through the C fast path (logs the choice once)."""
    global _logged
    if not _logged:
        _logged = True
        if lib is not None:
            logger.info("SFU forwarding: C fast path (sfu/_fastpath)")
        else:
            logger.info("SFU forwarding: Python path, fast path %s", _why_not)
    return lib is not None


def srtp_pointer(session: Any) -> int:
    """The ``srtp_t`` of a pylibsrtp Session (pylibsrtp internals: its ``_srtp`` cdata)."""
    from pylibsrtp._binding import ffi as srtp_ffi

    return int(srtp_ffi.cast("uintptr_t", session._srtp[0]))


_load()
