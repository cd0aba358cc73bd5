"""The status questions the sweep's reboot check asked the variator and it has not answered yet.

Its answer says only its percent, not which question it answers: a check asks again every RESEND_S until one comes,
so a variator slow to answer (a busy Wi-Fi) leaves answers owed after the check took the first one. After a short
--first-settle, the next check's question went out before such an answer came, and the check took it for its own:
the variator answering at once at the step's percent, a cut, though it had rebooted since. The firmware answers in
turn, so an answer pays the oldest question owed; the check takes as its own only the one that pays its own question.
A question unanswered for the answer's wait (the sweep's bound for a command's answer) is owed nothing: it was lost,
the variator away when it came. A lost question still owed (the variator away for less than that) has a real answer
taken for its: the check asks again, 2 s later (measured again at worst, not stopped)."""

from __future__ import annotations

__all__ = ["StatusQuestions"]


class StatusQuestions:
    """The times (monotonic s) of the questions owed an answer, oldest first."""

    def __init__(self, owed_s: float) -> None:
        self._owed_s = owed_s  # unanswered this long, a question is lost
        self._asked: list[float] = []

    def ask(self, at: float) -> None:
        """A question went out at `at`."""
        self._asked.append(at)

    def answer(self, at: float) -> float | None:
        """When the question an answer that came at `at` answers was asked (it is owed no more); None: none was owed
        (an echo of a command, or a question lost)."""
        self._asked = [asked for asked in self._asked if at - asked <= self._owed_s]
        return self._asked.pop(0) if self._asked else None

    def void(self) -> None:
        """The questions are lost: the variator rebooted (its session is clean), or our link dropped."""
        self._asked.clear()
