"""A scanned referral code (``REF-ABCD-EFGH``) is classified as such, for the enrolment form; a
look-alike with a character the codes never use is not."""

from __future__ import annotations

from devices.events import ReferralScanned
from devices.hub import event_for
from devices.payload import classify


def test_a_referral_code_scanned_is_read_in_its_one_form() -> None:
    for text in ("REF-JZ6C-29KP", "ref-jz6c29kp", "  REF-JZ6C-29KP\r"):
        payload = classify(text)
        assert (payload.kind, payload.referral_code, payload.shown) == ("referral", "JZ6C-29KP", "JZ6C-29KP")
    assert event_for(classify("REF-JZ6C-29KP"), "scanner") == ReferralScanned("JZ6C-29KP", "scanner")
    for look_alike in ("REF-JZ6C-29K0", "REF-JZ6C-29KPX", "REF-", "JZ6C-29KP-REF"):
        assert classify(look_alike).kind != "referral", look_alike
