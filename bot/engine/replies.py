"""Tidying the replies of one message before they go out."""

from __future__ import annotations

from dataclasses import replace

from bot.messages import Reply, Text

MAX_MERGED = 3500  # leave room under the 4096 limit of both platforms


def coalesce(replies: list[Reply]) -> list[Reply]:
    """Merge a plain text into the next reply to the same user.

    WhatsApp lets a business send about one message per 6 s to a user, and a notice
    followed by a question reads better as one message anyway.
    """
    merged: list[Reply] = []
    for reply in replies:
        last = merged[-1] if merged else None
        if (
            last is not None
            and type(last) is Text
            and last.to == reply.to
            and len(last.text) + len(reply.text) < MAX_MERGED
        ):
            merged[-1] = replace(reply, text=f"{last.text}\n\n{reply.text}")
        else:
            merged.append(reply)
    return merged
