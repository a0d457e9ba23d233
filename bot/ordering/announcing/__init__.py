"""Announcements: a short text from the market office (any market) or a market unit's head
(their market) to the residents who ordered from that market in the last N days and did
not say ``berhenti`` ("Pasar Kranji tutup besok, Jumat 28/11").

The modules, in the order an announcement goes through them:

- `settings`: the ``announcements`` config section (`Settings`) and the platforms' paces;
- `permission`: who may announce to which market, and the text cleaned (`check`, else
  `AnnouncementRefused`, whose ``message_id``/``params`` say why in words);
- `audience`: who an announcement reaches (`recipients`) and, for a page that asks
  "send to 480?" first, how many and how many said ``berhenti`` (`reach_counts`);
- `plan`: what each one gets (`plan`): a text, a WhatsApp template outside the 24-hour
  window, or nothing (skipped, and why);
- `sending`: the sends at each platform's pace, counted (`send_planned`), and
  `announce(app, sender, market_id, text, days)` for a caller that waits for the `Counts`;
- `announcer`: the durable way: `queue_announcement` sets a timer of kind ``announce``
  that the App's `Announcer` sends in the background, resumed after a restart, and whose
  sender is told the counts in chat.

The ``umumkan`` conversation is bot/ordering/chat/announcements.py; it queues through the
same timer. Announcements go straight to the adapters (paced and counted), not through
the outbox.

Who gets what:
- everyone in the audience whose session says they stopped broadcasts (``berhenti``,
  `bot.engine.session.wants_broadcasts`) is skipped, and counted so;
- on WhatsApp, a resident whose last message is older than the 24-hour window (the session
  says when; or the app's ``away`` says so) gets the configured template
  (``announcements.whatsapp_template``: its body's {{1}} is the market's name, {{2}} the
  text with the line on how to stop them); without a template they are skipped;
- everyone else gets the text, with the line on how to stop them.

The sends go out at a pace (`bot.pace`): ``announcements.telegram_per_second`` and
``announcements.whatsapp_per_second``, at most ``announcements.in_flight`` on the wire at
once per platform; each platform's run is independent of the other's. A send the adapter
says failed (refused, unreachable after its retries) counts as failed; a resident on a
channel with no running adapter counts as skipped.

The audience reaches back at most ``sessions.expire_after_days``: a resident who said
``berhenti`` is known by their session, which lives that long after their last message.
"""
