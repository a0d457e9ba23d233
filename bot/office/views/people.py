"""Markets and people: each market's coordinators and head, and whether they have written
to the bot (a messenger lets a bot write only to someone who wrote first: a market none of
whose coordinators has is not reachable). data/markets.yaml stays the one source: it is
edited as a file, this page only shows it."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.office.guard import Context, staff
from bot.office.web import Office
from bot.ordering.domain.markets import Market


@dataclass(frozen=True)
class Person:
    user: str
    name: str
    reachable: bool


@dataclass(frozen=True)
class MarketPeople:
    market: Market
    coordinators: tuple[Person, ...]
    head: Person | None

    @property
    def reachable(self) -> bool:
        return any(p.reachable for p in self.coordinators)


def routes(office: Office) -> list[Route]:
    @staff(office)
    async def page(request: Request, ctx: Context) -> Response:
        name_of = office.name_of(office.lang(request))

        def person(user: str) -> Person:
            return Person(user, name_of(user), office.store.get_session(user) is not None)

        found = [MarketPeople(m, tuple(person(u) for u in m.coordinators),
                              person(m.head) if m.head else None)
                 for m in ctx.viewer.markets]
        return ctx.render(request, "people.html", markets=found)

    return [Route("/people", page, methods=["GET"])]
