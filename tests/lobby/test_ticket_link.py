"""The ticket's link: what the branch signs, head office accepts, and everything it refuses."""

from __future__ import annotations

import base64
import json
import os
import stat
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from lobby.signed_token import KeyFileError
from lobby.ticket_link import LinkRefused, LinkSigner, TicketClaim, load_or_create_signer, verify

NOW = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
END_OF_DAY = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)  # 17:30 in Shanghai
CLAIM = TicketClaim("sh-lujiazui-01", "20261205-A002", "cash", END_OF_DAY)


@pytest.fixture(scope="module")
def signers() -> dict[str, LinkSigner]:
    return {b: LinkSigner(Ed25519PrivateKey.generate(), "https://q.bank.example/") for b in ("sh-lujiazui-01", "sz-nanshan-02")}


def keys_of(signers: dict[str, LinkSigner]):
    return lambda branch: signers[branch].public_key if branch in signers else None


def test_a_signed_link_opens_its_ticket_and_shows_only_what_the_paper_shows(signers):
    link = signers[CLAIM.branch].link(CLAIM)
    assert link.startswith("https://q.bank.example/t/")  # the trailing slash of public_url is not doubled
    token = link.rpartition("/t/")[2]
    assert verify(token, keys_of(signers), NOW) == CLAIM
    body = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert set(body) == {"v", "b", "t", "s", "x"}  # branch, ticket (day and number), service, expiry: nothing else
    assert CLAIM.label == "A002"
    assert len(link) < 250  # a QR code a phone reads at arm's length off thermal paper


def _refusal(token: str, signers, now=NOW) -> str:
    with pytest.raises(LinkRefused) as refused:
        verify(token, keys_of(signers), now)
    return refused.value.reason


def test_a_link_past_its_business_day_is_expired(signers):
    token = signers[CLAIM.branch].token(CLAIM)
    assert _refusal(token, signers, END_OF_DAY) == "expired"
    assert _refusal(token, signers, END_OF_DAY + timedelta(days=30)) == "expired"


def test_a_changed_claim_is_forged(signers):
    body, signature = signers[CLAIM.branch].token(CLAIM).split(".")
    for changed in ({"t": "20261205-A001"}, {"x": int((END_OF_DAY + timedelta(days=1)).timestamp())}, {"s": "wealth"}):
        claim = json.loads(base64.urlsafe_b64decode(body + "=="))
        claim.update(changed)
        forged_body = base64.urlsafe_b64encode(json.dumps(claim, separators=(",", ":")).encode()).rstrip(b"=").decode()
        assert _refusal(f"{forged_body}.{signature}", signers) == "forged"


def test_another_branchs_key_cannot_sign_for_this_branch(signers):
    # The Nanshan branch (or anyone with its key) signs a claim in Lujiazui's name.
    assert _refusal(signers["sz-nanshan-02"].token(CLAIM), signers) == "forged"
    # A key nobody published.
    assert _refusal(LinkSigner(Ed25519PrivateKey.generate(), "https://x").token(CLAIM), signers) == "forged"


def test_a_branch_head_office_has_no_key_for_is_refused_as_such(signers):
    elsewhere = TicketClaim("gz-tianhe-03", "20261205-A002", "cash", END_OF_DAY)
    assert _refusal(LinkSigner(Ed25519PrivateKey.generate(), "https://x").token(elsewhere), signers) == "unknown_branch"


@pytest.mark.parametrize("token", [
    "", ".", "abc", "abc.def", "a" * 700, "e30.AAAA",  # e30 = "{}"
    base64.urlsafe_b64encode(b'{"v":2,"b":"x","t":"y","s":"z","x":1}').decode() + ".AAAA",
    base64.urlsafe_b64encode(b'{"v":1,"b":1,"t":"y","s":"z","x":1}').decode() + ".AAAA",
    base64.urlsafe_b64encode(b'[1,2]').decode() + ".AAAA",
    "%%%.***",
])
def test_what_is_not_a_link_of_ours_is_malformed(token, signers):
    assert _refusal(token, signers) == "malformed"


@given(st.text(max_size=300))
def test_no_string_is_accepted_or_crashes_verification(text):
    signer = LinkSigner(Ed25519PrivateKey.generate(), "https://x")
    with pytest.raises(LinkRefused):
        verify(text, lambda branch: signer.public_key, NOW)


@given(st.binary(max_size=2), st.integers(0, 200))
def test_any_flipped_character_of_a_genuine_token_is_refused(noise, position):
    signer = LinkSigner(Ed25519PrivateKey.generate(), "https://x")
    token = signer.token(CLAIM)
    position %= len(token)
    replacement = "A" if token[position] != "A" else "B"
    changed = token[:position] + replacement + token[position + 1:]
    try:
        claim = verify(changed, lambda branch: signer.public_key, NOW)
    except LinkRefused:
        return
    # base64's last character may carry unused bits: a change there decodes to the same bytes.
    assert claim == CLAIM


def test_the_key_file_is_made_once_private_and_kept(tmp_path):
    path = tmp_path / "lobby" / "ticket-link.key"
    first = load_or_create_signer(path, "https://q.bank.example")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = load_or_create_signer(path, "https://q.bank.example")
    assert again.public_key == first.public_key  # a restart keeps today's printed links working


def test_a_damaged_key_file_says_what_to_do(tmp_path):
    path = tmp_path / "ticket-link.key"
    path.write_text("not a key\n")
    with pytest.raises(KeyFileError, match="delete it and restart"):
        load_or_create_signer(path, "https://q.bank.example")


def test_the_branch_signs_each_tickets_link_until_its_business_day_ends(branch_config, tmp_path):
    from edge_agent.branch import Branch

    head_office = branch_config.head_office.model_copy(update={"public_url": "https://q.bank.example"})
    branch = Branch.open(branch_config.model_copy(update={"head_office": head_office}))
    try:
        answer = branch.issue_ticket("cash")
        assert branch.links is not None and answer.link is not None
        claim = verify(answer.link.rpartition("/t/")[2], lambda b: branch.links.public_key if b == branch_config.branch.id else None,
                       answer.issued_at.astimezone(UTC))
        assert (claim.ticket_id, claim.service, claim.label) == (answer.ticket_id, "cash", answer.ticket)
        ticket = branch.engine.ticket(answer.ticket_id)
        assert claim.expires == branch._ends(ticket).astimezone(UTC).replace(microsecond=0)
        assert branch_config.head_office.link_key_file.exists()
    finally:
        branch.close()


def test_without_a_public_url_the_qr_code_keeps_the_ticket_id_and_no_key_is_made(branch_config):
    from edge_agent.branch import Branch
    from edge_agent.outputs import print_job_for

    branch = Branch.open(branch_config)
    try:
        answer = branch.issue_ticket("cash")
        assert branch.links is None and answer.link is None
        assert print_job_for(branch_config, answer).qr_text == answer.ticket_id
        assert not branch_config.head_office.link_key_file.exists()
    finally:
        branch.close()
