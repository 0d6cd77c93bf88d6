"""A progress bar over the steps of a fit whose step count grows as it goes (mini-ot adds candidates and polishes
only when the first ones call for them): each step names what it is doing, so a user watching a fit of several
minutes sees which candidate or polish it is on and why there are more."""

from __future__ import annotations

import sys


class StepProgress:
    """``start(what)`` before a step, ``done()`` after it, ``add(n)`` when n more steps are planned; a no-op unless
    ``enabled``. The bar goes to stderr and is removed when the fit ends (a context manager: also on an error or
    Ctrl-C)."""

    def __init__(self, enabled: bool, total: int, desc: str) -> None:
        self._bar = None
        if enabled:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=desc, unit="step", file=sys.stderr, leave=False,
                             bar_format="{desc}: {n_fmt}/{total_fmt} steps [{elapsed}]{postfix}")

    def add(self, n: int) -> None:
        if self._bar is not None and n > 0:
            self._bar.total += n
            self._bar.refresh()

    def start(self, what: str) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(what)

    def done(self) -> None:
        if self._bar is not None:
            self._bar.update(1)
            self._bar.refresh()  # update() may skip drawing (tqdm throttles); a step of a fit is seconds long

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> "StepProgress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
