"""Withdrawal everywhere (issue 28): a recap holding a clip that was withdrawn, or lacks consent,
is refused by `loa recap publish`, refused when its queued post's time comes (the platform is never
called), its files leave the store; the report embeds posters of publishable clips only; and a
participant under the guardian age is kept, and shown, by the given name alone, as on the wall."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.conftest import make_video

from tests.test_cli_run import add_channel, sandbox_env  # noqa: F401 (fixture)
from tests.test_portal import clip, create, portal  # noqa: F401 (fixtures and helpers)


def _a_recap_of(loa, clip_ids: list[int], video) -> tuple[int, object]:
    """A recap as `loa recap render` records it, its video in the store (a test video: what is
    checked is which clips it holds, not its pictures)."""
    from content_queue.media import store_file
    from content_queue.models import Campaign, Media, Recap
    from content_queue.store import transaction
    from loa import settings

    folder = settings.find(loa.folder)
    sha, stored, _created = store_file(video, folder.media_dir / "recaps", suffix=".mp4")
    with transaction(folder.sessions) as s:
        media = Media(sha256=sha, relpath=str(stored.relative_to(folder.media_dir)), original_name="recap.mp4",
                      size=stored.stat().st_size, kind="video")
        s.add(media)
        s.flush()
        recap = Recap(campaign_id=s.scalars(select(Campaign)).one().id, media_id=media.id,
                      clip_ids={"ids": clip_ids}, settings={"format": "vertical"})
        s.add(recap)
        s.flush()
        return recap.id, stored


@pytest.fixture(scope="module")
def other_clip(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("w") / "other.mp4", size="360x640", seconds=2.5)


@pytest.fixture(scope="module")
def recap_video(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("w") / "recap.mp4", size="360x640", seconds=2)


def _add_clips(loa, clip, other) -> list[int]:
    for name, f in (("Trần Văn An", clip), ("Lê Thị Bình", other)):
        r = loa("clips", "add", str(f), "--participant", name, "--age", "17", "--consent", "self",
                "--display", "full", "--json")
        assert r.exit_code == 0, r.output
    ids = [c["id"] for c in json.loads(loa("clips", "list", "--json").output)]
    assert loa("clips", "approve", *map(str, ids)).exit_code == 0
    return ids


def test_a_recap_with_a_withdrawn_clip_never_goes_out(loa, sandbox_env, tmp_path, clip, other_clip, recap_video):  # noqa: F811
    from content_queue.models import Delivery, DeliveryState, Recap
    from loa import settings

    add_channel(loa, sandbox_env, "facebook", "fanpage", tmp_path)
    first = _add_clips(loa, clip, other_clip)[0]
    recap_id, stored = _a_recap_of(loa, [first], recap_video)
    copy = tmp_path / "recap-copy.mp4"  # the officer's own copy, outside the store
    copy.write_bytes(stored.read_bytes())
    r = loa("recap", "publish", str(stored), "--at", "2031-01-01 08:00", "--to", "fanpage")
    assert r.exit_code == 0, r.output  # queued while every clip in it may be shown

    assert loa("clips", "withdraw", str(first)).exit_code == 0  # the participant changed their mind
    assert not stored.exists()  # the recap's video left the store
    folder = settings.find(loa.folder)
    with folder.sessions() as s:
        recap = s.get(Recap, recap_id)
        assert recap.media_id is None and recap.settings["erased_for"] == [first]
    r = loa("recap", "publish", str(copy), "--now", "--to", "fanpage")
    assert r.exit_code == 1 and f"clip {first} was withdrawn" in r.output and "Render a new recap" in r.output

    with folder.sessions.begin() as s:  # its time comes
        from datetime import datetime, timedelta, timezone

        d = s.scalars(select(Delivery)).one()
        d.due_at = d.next_attempt_at = datetime.now(timezone.utc) - timedelta(minutes=1)
    loa("run", "--once")
    with folder.sessions() as s:
        d = s.scalars(select(Delivery)).one()
        assert d.state is DeliveryState.failed and f"clip {first} was withdrawn" in d.last_error
    assert sandbox_env.sandbox.ledger == []  # the platform was never called


def test_a_recap_whose_clip_lost_its_consent_is_refused_and_the_report_shows_only_publishable_posters(
        loa, tmp_path, clip, other_clip, recap_video, channels):  # noqa: F811
    from loa import settings

    ids = _add_clips(loa, clip, other_clip)
    recap_id, stored = _a_recap_of(loa, ids, recap_video)
    r = loa("clips", "consent", str(ids[1]), "--consent", "none")
    assert r.exit_code == 0, r.output
    r = loa("recap", "publish", str(stored), "--now", "--to", "fanpage")
    assert r.exit_code == 1 and f"clip {ids[1]} has no valid consent" in r.output
    assert json.loads(loa("post", "list", "--json").output) == []

    report = json.loads(loa("report", "--format", "json").output)
    posters = {c["id"]: c["poster"] for c in report["clips"]["list"]}
    folder = settings.find(loa.folder)
    assert posters[ids[0]] and (folder.media_dir / posters[ids[0]]).is_file()
    assert posters[ids[1]] is None  # no consent: not in the report's pictures
    out = tmp_path / "report.html"
    assert loa("report", "--format", "html", "--out", str(out)).exit_code == 0
    assert out.read_text(encoding="utf-8").count("data:image/jpeg;base64,") == 1


def test_under_the_guardian_age_only_the_given_name_is_kept_and_never_a_full_name_shown(portal, clip, loa):  # noqa: F811
    from werkzeug.test import Client

    from content_queue.models import Clip

    c = Client(portal)
    form = dict(name="Nguyễn Thị Hoa", age="13", guardian="Nguyễn Văn Nam", guardianConfirmed="yes",
                selfConfirmed="")
    r = create(c, portal.token, clip.stat().st_size, display="full", **form)
    assert r.status_code == 400 and "dưới 16 tuổi" in r.json["error"]  # the page speaks the campaign's language
    r = loa("clips", "add", str(clip), "--participant", "Nguyễn Thị Hoa", "--age", "13", "--consent", "guardian",
            "--guardian", "Nguyễn Văn Nam", "--display", "full")
    assert r.exit_code == 1 and "under 16, only the first name" in r.output
    r = loa("clips", "add", str(clip), "--participant", "Nguyễn Thị Hoa", "--age", "13", "--consent", "guardian",
            "--guardian", "Nguyễn Văn Nam", "--display", "first")
    assert r.exit_code == 0, r.output
    with portal.folder.sessions() as s:
        stored = s.scalars(select(Clip)).one()
        assert stored.participant_name == "Hoa" and stored.guardian_name == "Nguyễn Văn Nam"
