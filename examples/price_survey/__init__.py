"""The weekly price survey: traders tell the market office what rice, oil, eggs and chilli
cost at their market this week. A second app on the engine (``app:`` in config.yaml); it
imports nothing of the ordering app.

The flow (flows/survey.yaml) names what this module registers:
- option source ``survey_markets``: the markets of survey.yaml;
- actions ``first_item``, ``keep_price``, ``submit``; view actions ``current_item`` and
  ``summarize`` (display values for the question being asked, never stored);
- conditions ``more_items`` and ``answered_this_week``;
and a periodic job that invites the traders of survey.yaml once a week (invite.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.config import resolve
from bot.engine.context import ActionFailed, Context
from bot.engine.registry import Registry
from bot.i18n import rupiah
from bot.messages import Option
from bot.plugin import Setup
from examples.price_survey.answers import AnswerFile
from examples.price_survey.invite import SentWeeks, send_invitations
from examples.price_survey.survey import Survey, SurveyError, load_survey, week_of

__all__ = ["register", "week_of"]

HERE = Path(__file__).resolve().parent


class Services:
    """What the survey's names work with (``ctx.services``)."""

    def __init__(self, survey: Survey, answers: AnswerFile, invited: SentWeeks) -> None:
        self.survey, self.answers, self.invited = survey, answers, invited


def _services(ctx: Context) -> Services:
    return ctx.services


def register(registry: Registry, config: dict[str, Any]) -> Setup:
    """The app's entry point (bot/plugin.py): register its names, read its data."""
    try:
        survey = load_survey(HERE / "survey.yaml")
    except SurveyError as exc:
        return Setup(problems=[(exc.path, exc.line, exc.message)])
    folder = resolve(config, config["storage"].get("path", "data/"))
    services = Services(survey, AnswerFile(folder / "price-survey.jsonl"),
                        SentWeeks(folder / "price-survey-invited.txt"))

    @registry.options("survey_markets")
    def markets(ctx: Context) -> list[Option]:
        return [Option(m.id, m.name) for m in _services(ctx).survey.markets]

    def item_of(ctx: Context) -> int:
        return int(ctx.slots.get("item") or 0)

    @registry.action("first_item")
    def first_item(ctx: Context) -> None:
        ctx.slots["item"], ctx.slots["prices"] = 0, {}

    @registry.action("current_item")
    def current_item(ctx: Context) -> None:
        items = _services(ctx).survey.items
        item = items[min(item_of(ctx), len(items) - 1)]
        ctx.view.update(item=ctx.t(f"survey.item_{item.id}"), unit=item.unit,
                        number=item_of(ctx) + 1, count=len(items))

    @registry.condition("more_items")
    def more_items(ctx: Context) -> bool:  # read before keep_price moves on
        return item_of(ctx) + 1 < len(_services(ctx).survey.items)

    @registry.action("keep_price")
    def keep_price(ctx: Context) -> None:
        item = _services(ctx).survey.items[item_of(ctx)]
        # slots are replaced, never changed in place: `kembali` restores the earlier ones
        ctx.slots["prices"] = {**(ctx.slots.get("prices") or {}), item.id: ctx.slots["price"]}
        ctx.slots["item"] = item_of(ctx) + 1

    @registry.action("summarize")
    def summarize(ctx: Context) -> None:
        survey, prices = _services(ctx).survey, ctx.slots.get("prices") or {}
        lines = []
        for item in survey.items:
            name, price = ctx.t(f"survey.item_{item.id}"), prices.get(item.id)
            if price:
                lines.append(ctx.t("survey.line", item=name, unit=item.unit,
                                   price=rupiah(price, ctx.engine.i18n.locale(ctx.lang))))
            else:
                lines.append(ctx.t("survey.line_not_sold", item=name))
        ctx.view.update(summary="\n".join(lines), market_name=market_name(ctx))

    def market_name(ctx: Context) -> str:
        market = _services(ctx).survey.market(str(ctx.slots.get("market") or ""))
        return market.name if market else ""

    @registry.condition("answered_this_week")
    def answered_this_week(ctx: Context) -> bool:
        return _services(ctx).answers.has(ctx.key, str(ctx.slots.get("market")),
                                          week_of(ctx.now))

    @registry.action("submit")
    def submit(ctx: Context) -> None:
        week = week_of(ctx.now)
        record = {"week": week, "market": ctx.slots.get("market"), "trader": ctx.key,
                  "prices": ctx.slots.get("prices") or {}, "at": int(ctx.now)}
        try:
            _services(ctx).answers.add(record)  # on disk before the thanks is sent
        except OSError as exc:
            raise ActionFailed("survey.not_saved") from exc
        ctx.view.update(week=week, market_name=market_name(ctx))

    # the server runs the jobs every minute; each trader is invited once a week
    return Setup(services=services, jobs={"weekly invitation": send_invitations})
