"""Check characters of many identifiers at once, vectorised, for batch screening at set speed.

Only the shape and the check character are tested here — the fast gate that keeps a mistyped number from
being silently allowed. Anything that fails it is re-checked one by one by `registry.check` for its reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from xinyong.ids import resident_id, uscc

_USCC_VALUE: Final = np.full(256, -1, dtype=np.int64)
for _i, _ch in enumerate(uscc.ALPHABET):
    _USCC_VALUE[ord(_ch)] = _i
_USCC_WEIGHTS: Final = np.array(uscc.WEIGHTS, dtype=np.int64)
_USCC_CHECK: Final = np.frombuffer(uscc.ALPHABET.encode("ascii"), dtype=np.uint8)

_ORG_VALUE: Final = np.full(256, -1, dtype=np.int64)
for _i, _ch in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
    _ORG_VALUE[ord(_ch)] = _i
_ORG_WEIGHTS: Final = np.array(uscc.ORG_WEIGHTS, dtype=np.int64)
_ORG_CHECK: Final = np.frombuffer(b"0123456789X0", dtype=np.uint8)  # 11 - (S mod 11), 10 -> X, 11 -> 0

_RID_WEIGHTS: Final = np.array(resident_id.WEIGHTS, dtype=np.int64)
_RID_CHECK: Final = np.frombuffer(resident_id.CHECK_CHARS.encode("ascii"), dtype=np.uint8)

Mask = npt.NDArray[np.bool_]


def check_characters_ok(codes: Sequence[str]) -> Mask:
    """True where a code is 18 ASCII characters whose check character is right as a USCC or a resident ID."""
    n = len(codes)
    ok = np.zeros(n, dtype=np.bool_)
    if n == 0:
        return ok
    joined = "".join(codes)
    if len(joined) != 18 * n or not joined.isascii():
        sized = [i for i, c in enumerate(codes) if len(c) == 18 and c.isascii()]
        if sized:
            ok[sized] = check_characters_ok([codes[i] for i in sized])
        return ok
    chars = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(n, 18)
    # USCC: MOD 31 over the 31-symbol alphabet.
    values = _USCC_VALUE[chars]
    in_alphabet = (values >= 0).all(axis=1)
    total = (values[:, :17] * _USCC_WEIGHTS).sum(axis=1) % 31
    org_total = (np.clip(_ORG_VALUE[chars[:, 8:16]], 0, None) * _ORG_WEIGHTS).sum(axis=1) % 11
    org_ok = chars[:, 16] == _ORG_CHECK[11 - org_total]
    ok |= in_alphabet & org_ok & (chars[:, 17] == _USCC_CHECK[(31 - total) % 31])
    # Resident ID: ISO 7064 MOD 11-2 over seventeen digits.
    digits = chars[:, :17].astype(np.int64) - ord("0")
    all_digits = ((digits >= 0) & (digits <= 9)).all(axis=1)
    rid_total = (np.clip(digits, 0, 9) * _RID_WEIGHTS).sum(axis=1) % 11
    ok |= all_digits & (chars[:, 17] == _RID_CHECK[rid_total])
    return ok
