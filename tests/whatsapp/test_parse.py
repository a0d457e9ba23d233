"""Webhook payloads (the JSON fixtures, in the shapes Meta documents) -> Incoming."""

from __future__ import annotations

from typing import Any

import pytest

from bot.adapters.whatsapp_parse import (
    parse_payload,
    sign,
    valid_signature,
)
from bot.messages import Contact, Location
from tests.whatsapp.fake_graph import PHONE_NUMBER_ID
from tests.whatsapp.support import USER, fixture


def one(name: str) -> Any:
    parsed = parse_payload(fixture(name), PHONE_NUMBER_ID)
    assert len(parsed.messages) == 1 and not parsed.statuses, parsed
    return parsed.messages[0]


def test_text_message_keys_the_user_by_from_and_keeps_the_profile() -> None:
    msg = one("text")
    assert (msg.channel, msg.user, msg.key) == ("whatsapp", USER, f"whatsapp:{USER}")
    assert msg.text == "halo"
    assert msg.message_id.startswith("wamid.")
    assert msg.profile_name == "Ani Suryani"
    assert msg.profile_phone == USER


def test_reply_button_and_list_row_give_the_chosen_option_id() -> None:
    assert one("button_reply").choice == "order"
    assert one("list_reply").choice == "kranji-baru"
    assert one("list_reply").text is None


def test_location_and_contact() -> None:
    where = one("location").location
    assert where == Location(-6.2383, 106.9756, "Masjid Al-Ikhlas",
                             "Jl. Melati, Jatibening, Pondokgede, Kota Bekasi")
    assert one("contacts").contact == Contact("+62 813-9876-5432", "Budi Santoso")


@pytest.mark.parametrize(("name", "kind", "media"), [
    ("image", "photo", "1479537139650973"),
    ("sticker", "sticker", "9876543210123"),
    ("audio_voice", "voice", "5556667778889"),
    ("reaction", "reaction", None),
    ("unsupported", "unsupported", None),
])
def test_what_the_bot_cannot_read_is_unsupported_and_nothing_else(
        name: str, kind: str, media: str | None) -> None:
    msg = one(name)
    assert msg.unsupported == kind and msg.media == media
    assert msg.text is None and msg.choice is None and msg.location is None


def test_a_removed_reaction_is_not_a_message() -> None:
    payload = fixture("reaction")
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["reaction"].pop("emoji")
    assert parse_payload(payload).messages == []


@pytest.mark.parametrize("state", ["sent", "delivered", "read"])
def test_statuses_are_events_not_messages(state: str) -> None:
    parsed = parse_payload(fixture(f"status_{state}"), PHONE_NUMBER_ID)
    assert parsed.messages == []
    assert [(s.user, s.status, s.errors) for s in parsed.statuses] == [(USER, state, ())]


def test_failed_status_carries_its_error_codes() -> None:
    (event,) = parse_payload(fixture("status_failed")).statuses
    assert event.status == "failed" and event.codes == {131047}


def test_every_message_of_every_entry_and_change_in_order() -> None:
    parsed = parse_payload(fixture("several"), PHONE_NUMBER_ID)
    assert [(m.user, m.text) for m in parsed.messages] == [
        (USER, "halo"), ("6285711112222", "halo"), (USER, "1"), ("6289633334444", "bantuan")]
    assert [m.profile_name for m in parsed.messages] == ["Ani Suryani", "Dedi", "Ani Suryani",
                                                         None]
    assert [s.status for s in parsed.statuses] == ["delivered"]


def test_profile_found_by_user_id_when_wa_id_is_missing() -> None:
    payload = fixture("text")
    value = payload["entry"][0]["changes"][0]["value"]
    value["contacts"] = [{"profile": {"name": "Siti"}, "user_id": "ID.998877"}]
    value["messages"][0].pop("from")
    value["messages"][0]["from_user_id"] = "ID.998877"
    (msg,) = parse_payload(payload).messages
    assert (msg.user, msg.profile_name, msg.profile_phone) == ("ID.998877", "Siti", None)


def test_another_phone_number_and_other_fields_are_skipped() -> None:
    assert parse_payload(fixture("text"), "999").messages == []
    payload = fixture("text")
    payload["entry"][0]["changes"][0]["field"] = "account_update"
    assert parse_payload(payload).messages == []


@pytest.mark.parametrize("junk", [
    None, [], "x", {"object": "page"}, {"object": "whatsapp_business_account", "entry": "x"},
    {"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages",
                                                                    "value": None}]}]},
    {"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages",
     "value": {"messages": [{"from": "1", "type": "location", "location": {}},
                            {"type": "text"}, "x", {"from": "1", "type": "interactive"}],
               "statuses": [{"status": "failed", "recipient_id": "1",
                             "errors": [{"code": "x"}]}]}}]}]},
])
def test_malformed_payloads_never_raise(junk: Any) -> None:
    parsed = parse_payload(junk)
    assert all(m.unsupported for m in parsed.messages)


def test_signature_is_hmac_sha256_of_the_raw_body() -> None:
    body = b'{"object":"whatsapp_business_account"}'
    good = sign("secret", body)
    assert good.startswith("sha256=") and valid_signature("secret", body, good)
    assert valid_signature("secret", body, good.upper().replace("SHA256=", "sha256="))
    assert not valid_signature("other", body, good)
    assert not valid_signature("secret", body + b" ", good)
    assert not valid_signature("secret", body, None)
    assert not valid_signature("secret", body, good[len("sha256="):])
    assert not valid_signature("", body, sign("", body))
