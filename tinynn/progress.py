"""Progress bars that suit where the output goes.

On a terminal (or in Jupyter) ``progress_bar`` is a tqdm bar, redrawn in place. Anywhere
else (a log file, a pipe, CI, a test capturing stderr) a redrawn bar becomes one line per
redraw, thousands of them over a long run; there it prints plain lines instead: one when
the bar closes, plus one at every ``1/lines`` of the way when ``lines`` is given. So
``tn.fit`` logs one line per epoch, and ``python -m tinynn gpt`` ten over its run.

>>> import io
>>> log = io.StringIO()                       # not a terminal
>>> bar = progress_bar(total=200, desc="epoch 1/1", unit="batch", file=log)
>>> for _ in range(200):
...     bar.update(1)
>>> bar.set_postfix(loss="0.1234")
>>> bar.close()
>>> log.getvalue().count("\\n"), log.getvalue().split(" [")[0]
(1, 'epoch 1/1: 200/200 batch')
"""
from __future__ import annotations

import sys
import time

__all__ = ["progress_bar", "is_terminal", "LineProgress"]


def is_terminal(stream) -> bool:
    """True if ``stream`` redraws a bar in place: a TTY, or a Jupyter/IPython kernel's output.

    >>> import io
    >>> is_terminal(io.StringIO())
    False
    """
    if type(stream).__module__.split(".")[0] in ("ipykernel", "google"):  # Jupyter, Colab: \\r redraws
        return True
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def progress_bar(iterable=None, total=None, desc=None, unit="it", disable=False, file=None, lines=0):
    """A tqdm bar on a terminal, ``LineProgress`` elsewhere, nothing with ``disable=True``.

    Both take the same calls: iterate over it, or ``update(n)``, ``set_postfix(**values)``,
    ``set_postfix_str(s)``, ``close()``. ``lines`` (off a terminal only): print a line at
    every ``1/lines`` of ``total``, as well as the one at the end.

    >>> import io
    >>> log = io.StringIO()
    >>> for step in progress_bar(range(1000), unit="step", file=log, lines=4):
    ...     pass
    >>> [line.split(" [")[0] for line in log.getvalue().splitlines()]
    ['250/1000 step', '500/1000 step', '750/1000 step', '1000/1000 step']
    """
    file = sys.stderr if file is None else file
    if total is None and iterable is not None and hasattr(iterable, "__len__"):
        total = len(iterable)
    if disable:
        return LineProgress(iterable, total, desc, unit, file, lines, quiet=True)
    if is_terminal(file):
        try:
            from tqdm import tqdm  # imported lazily: only a bar on a terminal needs it
        except ImportError:  # pragma: no cover - tqdm is a dependency; degrade to lines anyway
            pass
        else:
            return tqdm(iterable, total=total, desc=desc, unit=unit, leave=True, dynamic_ncols=True, file=file)
    return LineProgress(iterable, total, desc, unit, file, lines)


class LineProgress:
    """tqdm's interface, printing whole lines: ``desc: n/total unit [elapsed, rate] postfix``.

    >>> import io
    >>> log = io.StringIO()
    >>> bar = LineProgress(total=3, desc="demo", file=log)
    >>> bar.update(3); bar.set_postfix_str("loss 0.5"); bar.close(); bar.close()
    >>> log.getvalue().count("\\n")                 # closing twice prints once
    1
    """

    def __init__(self, iterable=None, total=None, desc=None, unit="it", file=None, lines=0, quiet=False):
        self.iterable, self.total, self.desc, self.unit = iterable, total, desc, unit
        self.file = sys.stderr if file is None else file
        self.n, self.postfix, self.quiet, self.closed = 0, "", quiet, False
        self.start = time.perf_counter()
        self._marks = ([round(total * k / lines) for k in range(1, lines)]
                       if lines and total else [])  # the last line is close()'s
        self._printed_at = None

    def __iter__(self):
        try:
            for item in self.iterable:
                yield item
                self.update(1)  # after the loop body: its set_postfix is on this line
        finally:
            self.close()

    def __len__(self):
        return self.total or 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def update(self, n=1):
        self.n += n
        while self._marks and self.n >= self._marks[0]:
            self._marks.pop(0)
            self._line()

    def set_postfix(self, ordered_dict=None, refresh=True, **kwargs):
        values = dict(ordered_dict or {}, **kwargs)
        self.postfix = ", ".join(f"{k}={v}" for k, v in values.items())

    def set_postfix_str(self, s="", refresh=True):
        self.postfix = str(s)

    def set_description(self, desc=None, refresh=True):
        self.desc = desc

    def refresh(self):
        pass

    def close(self):
        if not self.closed:
            self.closed = True
            if self._printed_at != self.n:
                self._line()

    def _line(self):
        if self.quiet:
            return
        elapsed = time.perf_counter() - self.start
        count = f"{self.n}/{self.total}" if self.total else f"{self.n}"
        rate = f", {self.n / elapsed:.1f} {self.unit}/s" if elapsed > 0 and self.n else ""
        text = f"{self.desc}: " if self.desc else ""
        seconds = f"{elapsed:.2f}" if elapsed < 10 else f"{elapsed:.0f}"
        text += f"{count} {self.unit} [{seconds} s{rate}]"
        if self.postfix:
            text += f" {self.postfix}"
        print(text, file=self.file, flush=True)
        self._printed_at = self.n
