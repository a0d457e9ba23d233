"""The weekly invitation: every trader of survey.yaml is asked once a week, from the day
and time survey.yaml says (or at the first run after it, if the bot was down then). The
weeks invited are kept in a file beside the answers, so a restart does not invite twice."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.messages import Text
from examples.price_survey.survey import TIMEZONE, week_of


class SentWeeks:
    """One week per line (``2026-W49``), appended and synced once its invitations are out."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def has(self, week: str) -> bool:
        try:
            return week in self.path.read_text(encoding="utf-8").split()
        except FileNotFoundError:
            return False

    def add(self, week: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{week}\n".encode())
            os.fsync(fd)
        finally:
            os.close(fd)


async def send_invitations(app: Any, now: float) -> int:
    """The job (``Setup.jobs``): invite the traders if this week's time has come and they
    were not invited yet; returns how many were."""
    services, moment = app.services, datetime.fromtimestamp(now, TIMEZONE)
    survey, week = services.survey, week_of(now)
    due = (moment.isoweekday(), moment.hour * 60 + moment.minute) >= (
        survey.invite_day, survey.invite_minute)
    if not due or not survey.traders or services.invited.has(week):
        return 0
    invitations = [Text(to=trader, text=app.i18n.t(app.engine.language_of(trader),
                                                   "survey.invite", week=week))
                   for trader in survey.traders]
    await app.deliver(invitations)
    services.invited.add(week)  # after sending: a crash in between invites again, not never
    return len(invitations)
