"""Which market a resident means, against the real data/markets.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine.matching import Ambiguous, Matched, NoMatch, Unavailable
from bot.ordering.market_match import NOT_OPEN, match_market
from bot.ordering.markets import Market, Markets, load_markets

MARKETS = load_markets(Path(__file__).resolve().parent.parent / "data" / "markets.yaml")
ALL = MARKETS.markets
OPEN = MARKETS.open
COMING = MARKETS.coming

# One typo per market, as a hurried thumb would make it.
TYPOS = {
    "harapan-jaya": "harapn jaya",
    "kranji-baru": "kranj baru",
    "jatiasih": "jatiasi",
    "bintara": "bintra",
    "wisma-asri": "wisma asrii",
    "bantargebang": "bantar gebag",
    "pondokgede": "pondok gde",
    "teluk-buyung": "teluk buyng",
    "pasar-baru-bekasi": "pasar baru bekasii",
    "family": "famili",
    "rawalumbu": "rawalumbuh",
    "pertokoan-pondokgede": "pertokoan pondok gde",
    "bekasi-junction": "bekasi junktion",
    "kranji-lama": "kranji lma",
}


def expected(market: Market) -> Matched | Unavailable:
    if market.is_open:
        return Matched(market.id)
    return Unavailable(NOT_OPEN, {"market": market.name})


def ids(result: object) -> list[str]:
    assert isinstance(result, Ambiguous), result
    return [option.id for option in result.candidates]


def test_the_data_is_what_these_tests_expect() -> None:
    assert len(OPEN) == 11
    assert set(TYPOS) == {m.id for m in ALL}


@pytest.mark.parametrize("number", range(1, len(OPEN) + 1))
def test_number_is_the_nth_open_market(number: int) -> None:
    assert match_market(str(number), MARKETS) == Matched(OPEN[number - 1].id)
    assert match_market(f"{number}.", MARKETS) == Matched(OPEN[number - 1].id)


@pytest.mark.parametrize("text", ["0", "12", "99", "-1"])
def test_numbers_outside_the_menu(text: str) -> None:
    assert match_market(text, MARKETS) == NoMatch()


@pytest.mark.parametrize("market", ALL, ids=lambda m: m.id)
def test_every_market_by_id_name_short_name_and_code(market: Market) -> None:
    for text in (market.id, market.name, market.name.upper(), market.short_name, market.code):
        assert match_market(text, MARKETS) == expected(market), text


@pytest.mark.parametrize("market", ALL, ids=lambda m: m.id)
def test_every_market_by_a_typo(market: Market) -> None:
    assert match_market(TYPOS[market.id], MARKETS) == expected(market)


@pytest.mark.parametrize(
    ("text", "market_id"),
    [
        ("psr baru", "pasar-baru-bekasi"),
        ("pasar baru", "pasar-baru-bekasi"),
        ("baru bekasi", "pasar-baru-bekasi"),
        ("hrpn jaya", "harapan-jaya"),
        ("harapan", "harapan-jaya"),
        ("pd gede", "pondokgede"),
        ("pd. gede", "pondokgede"),
        ("pondok gede", "pondokgede"),
        ("pasar pondok gede", "pondokgede"),
        ("kranji baru", "kranji-baru"),
        ("kranjibaru", "kranji-baru"),
        ("jati asih", "jatiasih"),
        ("rawa lumbu", "rawalumbu"),
        ("telukbuyung", "teluk-buyung"),
        ("tlk buyung", "teluk-buyung"),
        ("teluk", "teluk-buyung"),
        ("bantar", "bantargebang"),
        ("wisma", "wisma-asri"),
        ("di pasar jatiasih aja", "jatiasih"),
        ("  Pasar   WISMA asri!! ", "wisma-asri"),
    ],
)
def test_partial_names_and_abbreviations(text: str, market_id: str) -> None:
    assert match_market(text, MARKETS) == Matched(market_id)


def test_kranji_asks_which_one_including_the_coming_one() -> None:
    assert ids(match_market("kranji", MARKETS)) == ["kranji-baru", "kranji-lama"]
    assert ids(match_market("pasar kranji", MARKETS)) == ["kranji-baru", "kranji-lama"]
    # then choosing the coming one says it is not open yet
    assert match_market("kranji-lama", MARKETS) == Unavailable(
        NOT_OPEN, {"market": "Pasar Kranji Lama"}
    )


def test_pondok_gede_prefers_the_open_market_but_pondok_alone_asks() -> None:
    # "Pondokgede" without "Pasar" is the open market's own name; the coming one is
    # "Pertokoan Pondokgede", so the resident has to say "pertokoan" to mean it.
    assert match_market("pondok gede", MARKETS) == Matched("pondokgede")
    assert ids(match_market("pondok", MARKETS)) == ["pondokgede", "pertokoan-pondokgede"]
    assert match_market("pertokoan", MARKETS) == Unavailable(
        NOT_OPEN, {"market": "Pertokoan Pondokgede"}
    )


@pytest.mark.parametrize(
    ("text", "candidates"),
    [
        ("baru", ["kranji-baru", "pasar-baru-bekasi"]),
        ("bekasi", ["pasar-baru-bekasi", "bekasi-junction"]),
    ],
)
def test_words_shared_by_several_markets(text: str, candidates: list[str]) -> None:
    assert ids(match_market(text, MARKETS)) == candidates


@pytest.mark.parametrize("market", COMING, ids=lambda m: m.id)
def test_coming_markets_are_unavailable(market: Market) -> None:
    result = match_market(market.name, MARKETS)
    assert result == Unavailable("order.market_not_open", {"market": market.name})


@pytest.mark.parametrize("text", ["bj", "junction", "BJ", "bekasi junction"])
def test_bekasi_junction_is_coming(text: str) -> None:
    assert match_market(text, MARKETS) == Unavailable(NOT_OPEN, {"market": "Bekasi Junction"})


@pytest.mark.parametrize(
    "text",
    ["", "   ", "halo", "saya mau beli ayam", "terima kasih", "pasar", "ok", "🙂", "lama banget",
     "bawang merah 1/4 kg", "?", "x" * 500],
)  # fmt: skip
def test_unrelated_text_matches_nothing(text: str) -> None:
    assert match_market(text, MARKETS) == NoMatch()


def test_other_market_lists_are_not_mixed_up() -> None:
    small = Markets((Market("a", "Pasar Alpha", "ALP"), Market("b", "Pasar Beta", "BET")))
    assert match_market("2", small) == Matched("b")
    assert match_market("alpa", small) == Matched("a")
    assert match_market("2", MARKETS) == Matched(OPEN[1].id)
