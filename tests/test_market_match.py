"""Which market a resident means, against the real data/markets.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.engine.matching import Ambiguous, Matched, NoMatch, Unavailable
from bot.ordering.domain.markets import Market, MarketDataError, Markets, load_markets
from bot.ordering.understanding.market_match import NOT_OPEN, match_market

PHRASINGS = Path(__file__).resolve().parent / "data" / "markets_phrasings.yaml"
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
        if text in SHARED_SHORT_NAMES:
            continue  # also the end of a coming market's name: asked (below)
        assert match_market(text, MARKETS) == expected(market), text


# "Pondokgede" is the open market's short name and the end of the coming "Pertokoan
# Pondokgede": written alone it fits both, so the resident is asked (issue 11 item 3).
SHARED_SHORT_NAMES = {"pondokgede", "Pondokgede"}


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
        ("pasar pd gede", "pondokgede"),
        ("psr pd. gede", "pondokgede"),
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


@pytest.mark.parametrize("text", ["pondok gede", "pondokgede", "pd gede", "Pondok", "pondok"])
def test_a_name_fitting_an_open_and_a_coming_market_asks(text: str) -> None:
    """Issue 11 item 3: "pondok gede" fits Pasar Pondokgede and the coming Pertokoan
    Pondokgede: ask (before: the open market was taken without asking)."""
    assert ids(match_market(text, MARKETS)) == ["pondokgede", "pertokoan-pondokgede"]


def test_pasar_or_pertokoan_says_which() -> None:
    assert match_market("pasar pondok gede", MARKETS) == Matched("pondokgede")
    assert match_market("pertokoan", MARKETS) == Unavailable(
        NOT_OPEN, {"market": "Pertokoan Pondokgede"}
    )


@pytest.mark.parametrize(
    ("text", "market_id"),
    [
        ("sy mau yg di wisma asri aja kak, yg deket", "wisma-asri"),
        ("di rawalumbu aja kak makasih", "rawalumbu"),
        ("pasar harapan jaya bekasi utara", "harapan-jaya"),
        ("Pasar Wisma Asri, Bekasi Utara", "wisma-asri"),
        ("yg nomer 3", "jatiasih"),
    ],
)
def test_words_around_a_name_are_dropped(text: str, market_id: str) -> None:
    """Before: every one of these was "pilihan itu tidak ada"."""
    assert match_market(text, MARKETS) == Matched(market_id)


@pytest.mark.parametrize(
    ("text", "candidates"),
    [
        ("wisma asri atau harapan jaya ya", ["harapan-jaya", "wisma-asri"]),
        ("bintara / kranji baru", ["kranji-baru", "bintara"]),
        ("teluk buyung sama wisma asri deket semua", ["wisma-asri", "teluk-buyung"]),
        ("jatiasih apa pondok gede ya", ["jatiasih", "pondokgede"]),
    ],
)
def test_two_names_ask_between_exactly_those_two(text: str, candidates: list[str]) -> None:
    assert ids(match_market(text, MARKETS)) == candidates


@pytest.mark.parametrize("text", ["pasar proyek", "proyek", "yg di proyek aja", "Pasar Bekasi"])
def test_a_local_name_from_the_aliases(text: str) -> None:
    """data/markets.yaml: Pasar Baru Bekasi is known as Pasar Proyek."""
    assert match_market(text, MARKETS) == Matched("pasar-baru-bekasi")


def test_aliases_are_read_and_checked(tmp_path: Path) -> None:
    assert "Pasar Proyek" in MARKETS.get("pasar-baru-bekasi").aliases
    bad = tmp_path / "markets.yaml"
    bad.write_text("markets:\n  - id: a\n    name: Pasar A\n    code: AAA\n"
                   "    aliases: Pasar B\n", encoding="utf-8")
    with pytest.raises(MarketDataError) as caught:
        load_markets(bad)
    assert f"{bad}:5: market a: aliases must be a list of names" in str(caught.value)


def test_the_written_phrasings_score_at_least_97_percent() -> None:
    """tests/data/markets_phrasings.yaml, written from how residents name markets."""
    cases = yaml.safe_load(PHRASINGS.read_text(encoding="utf-8"))["cases"]
    right = sum(match_market(case["text"], MARKETS) == wanted(case) for case in cases)
    assert len(cases) >= 80
    assert right / len(cases) >= 0.97, f"{right}/{len(cases)}"


def wanted(case: dict) -> object:
    if "market" in case:
        return Matched(case["market"])
    if "ask" in case:
        return Ambiguous(tuple(MARKETS.get(i).option() for i in case["ask"]))
    if "not_open" in case:
        return Unavailable(NOT_OPEN, {"market": MARKETS.get(case["not_open"]).name})
    return NoMatch()


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
    staff = ("console:koord-a",)  # a market without coordinators takes no orders
    small = Markets((Market("a", "Pasar Alpha", "ALP", coordinators=staff),
                     Market("b", "Pasar Beta", "BET", coordinators=staff)))
    assert match_market("2", small) == Matched("b")
    assert match_market("alpa", small) == Matched("a")
    assert match_market("2", MARKETS) == Matched(OPEN[1].id)


def test_a_bad_market_word_is_reported_at_its_line(tmp_path: Path) -> None:
    """data/market_words.yaml is checked like every data file (main.py validate)."""
    from bot.ordering.understanding.market_match import PROBLEMS, read_market_words

    assert PROBLEMS == []
    words = tmp_path / "market_words.yaml"
    words.write_text("fillers: [mau, Dong]\nseparators: [atau]\nnames: [x]\n", encoding="utf-8")
    _, problems = read_market_words(words)
    shown = [f"{p.line}: {p.message}" for p in problems]
    assert shown[0] == "1: 'Dong': write words in lowercase"
    assert shown[1].startswith("3: unknown section 'names'")
