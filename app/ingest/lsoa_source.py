"""Which LSOA column an upload is read from, when its names tie it to one census's LSOAs.

WLMDS extracts may carry both ``derLSOA`` (2011 LSOAs) and ``derLSOA2021``. The IMD edition
in use decides: IoD 2019 is published on 2011 LSOAs, IoD 2025 on 2021 LSOAs. The other column
is ignored and reported; reading a column of the other census is allowed but reported too
(LSOAs that were split or merged in between are then not found, so their IMD is unknown).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from app.ingest.columns import lsoa_vintage_of_header


@dataclass
class LsoaSource:
    """The LSOA vintage the IMD edition expects, and the vintage-bound names read or ignored."""

    expected: str | None = None
    read_from: dict[str, str] = field(default_factory=dict)
    ignored: dict[str, str] = field(default_factory=dict)

    def pick(self, names: Sequence[str]) -> int | None:
        """Of several names given for ``lsoa_code``, the position of the one to read.

        None (the names clash) unless each is bound to a different census and exactly one
        matches :attr:`expected`.
        """
        vintages = [lsoa_vintage_of_header(name) for name in names]
        if self.expected is None or None in vintages or len(set(vintages)) != len(vintages):
            return None
        matching = [index for index, vintage in enumerate(vintages) if vintage == self.expected]
        if len(matching) != 1:
            return None
        for index, (name, vintage) in enumerate(zip(names, vintages, strict=True)):
            if index != matching[0] and vintage is not None:
                self.ignored[name.strip()] = vintage
        return matching[0]

    def note_read(self, name: str) -> None:
        """Record that ``lsoa_code`` was read from the column or key ``name``."""
        vintage = lsoa_vintage_of_header(name)
        if vintage is not None:
            self.read_from[name.strip()] = vintage

    @property
    def mismatched(self) -> dict[str, str]:
        """Names read whose census differs from the one the IMD edition uses."""
        if self.expected is None:
            return {}
        return {name: v for name, v in self.read_from.items() if v != self.expected}
