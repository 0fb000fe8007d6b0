"""The officer's path through the CLI: folder, channels, posts one by one and from CSV."""
from __future__ import annotations

import csv
import json
import os
import stat
import unicodedata
from pathlib import Path


from tests.conftest import CAMPAIGN


def nfd(s: str) -> str:
    return unicodedata.normalize("NFD", s)


def test_init_makes_private_database_and_media_store(loa):
    folder = loa.folder
    assert (folder / "loa.toml").is_file()
    assert (folder / "media").is_dir()
    mode = stat.S_IMODE(os.stat(folder / "loa.db").st_mode)
    assert mode == 0o600, oct(mode)
    r = loa("campaign", "show", "--json")
    data = json.loads(r.output)
    assert data["name"] == CAMPAIGN
    assert data["hashtags"] == ["#khongmotminh", "#antoantructuyen", "#niemtinso"]
    assert data["timezone"] == "Asia/Ho_Chi_Minh"


def test_init_on_existing_folder_changes_nothing(loa):
    before = {p: p.read_bytes() for p in loa.folder.iterdir() if p.is_file()}
    r = loa("init", str(loa.folder), "--campaign", "Another")
    assert r.exit_code == 0
    assert "nothing was changed" in r.output
    assert {p: p.read_bytes() for p in loa.folder.iterdir() if p.is_file()} == before


def test_folder_found_from_subdirectory_and_loa_home(loa, monkeypatch, tmp_path):
    sub = loa.folder / "media"
    monkeypatch.chdir(sub)
    assert json.loads(loa("campaign", "show", "--json").output)["name"] == CAMPAIGN
    monkeypatch.chdir(tmp_path.parent)
    monkeypatch.setenv("LOA_HOME", str(loa.folder))
    assert json.loads(loa("campaign", "show", "--json").output)["name"] == CAMPAIGN


def test_outside_a_folder_says_how_to_fix(runner, tmp_path, monkeypatch):
    from loa.cli import cli

    monkeypatch.delenv("LOA_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(cli, ["post", "list"])
    assert r.exit_code == 1
    assert "loa init" in r.output
    assert "Traceback" not in r.output


def test_channels_listed_with_secrets_masked(loa, channels):
    r = loa("channel", "list")
    assert r.exit_code == 0
    out_json = loa("channel", "list", "--json").output
    for creds in channels.values():
        for key, value in creds.items():
            if "token" in key or "secret" in key:
                assert value not in r.output
                assert value not in out_json
    rows = json.loads(out_json)
    assert [c["platform"] for c in rows] == ["facebook", "zalo", "tiktok"]
    assert "privacy_level" not in rows[2]["settings"]  # no channel default: chosen per post (TikTok's rules)


def test_channel_add_missing_credential_is_a_clear_error(loa):
    r = loa("channel", "add", "zalo", "--name", "z", "--oa-id", "1", "--access-token", "abcdefgh")
    assert r.exit_code == 1
    assert "Missing zalo credential(s): app_id, app_secret, refresh_token" in r.output
    assert "abcdefgh" not in r.output


def test_channel_add_by_options_and_remove(loa):
    r = loa("channel", "add", "facebook", "--name", "p2", "--page-id", "42", "--access-token", "tok-secret-xyz",
            "--expires-at", "2030-01-01T00:00:00Z")
    assert r.exit_code == 0, r.output
    assert "tok-secret-xyz" not in r.output
    assert loa("channel", "remove", "p2").exit_code == 0
    assert "p2" not in loa("channel", "list").output


def test_channel_expires_at_needs_a_zone(loa):
    r = loa("channel", "add", "facebook", "--name", "p3", "--page-id", "42", "--access-token", "tok-secret-xyz",
            "--expires-at", "2030-01-01 00:00")
    assert r.exit_code == 1
    assert "has no time zone" in r.output


def test_post_add_shows_in_campaign_time_zone_and_stores_utc(loa, channels):
    r = loa("post", "add", "--text", nfd("Chiến dịch bắt đầu"), "--at", "2031-10-20 08:00", "--to", "facebook,zalo",
            "--json")
    assert r.exit_code == 0, r.output
    post = json.loads(r.output)
    assert post["due"] == "2031-10-20 08:00"
    assert post["due_at"] == "2031-10-20T08:00:00+07:00"
    assert post["text"] == unicodedata.normalize("NFC", "Chiến dịch bắt đầu")
    assert [d["channel"] for d in post["deliveries"]] == ["fanpage", "zalo-oa"]
    assert all(d["state"] == "scheduled" for d in post["deliveries"])
    from content_queue.models import Post
    from loa import settings

    folder = settings.find()
    with folder.sessions() as s:
        stored = s.get(Post, post["id"])
        assert stored.due_at.isoformat() == "2031-10-20T01:00:00+00:00"


def test_post_show_gives_each_platform_its_text_with_hashtags_once(loa, channels, media_dir):
    r = loa("post", "add", "--text", "Xem trailer #khongmotminh", "--media", str(media_dir / "reel.mp4"),
            "--at", "2031-10-20 19:00", "--to", "all", "--tiktok-text", "Trailer ngắn", "--tiktok-privacy",
            "PUBLIC_TO_EVERYONE", "--tiktok-music-ok", "--json")
    assert r.exit_code == 0, r.output
    pid = json.loads(r.output)["id"]
    shown = json.loads(loa("post", "show", str(pid), "--json").output)
    texts = shown["text_per_platform"]
    assert texts["facebook"] == "Xem trailer #khongmotminh\n\n#antoantructuyen #niemtinso"
    assert texts["tiktok"] == "Trailer ngắn\n\n#khongmotminh #antoantructuyen #niemtinso"
    assert texts["facebook"].count("#khongmotminh") == 1


def test_post_in_the_past_is_refused_and_now_is_accepted(loa, channels):
    r = loa("post", "add", "--text", "x", "--at", "2020-01-01 08:00", "--to", "facebook")
    assert r.exit_code == 1
    assert "the time is in the past" in r.output
    r = loa("post", "add", "--text", "x", "--now", "--to", "facebook")
    assert r.exit_code == 0, r.output


def test_bad_time_is_explained(loa, channels):
    r = loa("post", "add", "--text", "x", "--at", "thứ hai", "--to", "facebook")
    assert r.exit_code == 1
    assert "Cannot read the time" in r.output and "2025-10-20 08:00" in r.output


def test_usage_errors_exit_1_without_traceback(loa):
    r = loa("post", "add", "--text", "x")
    assert r.exit_code == 1
    assert "Missing option '--to'" in r.output
    assert "Traceback" not in r.output


def test_every_problem_is_listed_at_once(loa, channels, media_dir):
    r = loa("post", "add", "--text", "x" * 2300, "--media", str(media_dir / "tiny.mp4"), "--at", "2031-01-01 08:00",
            "--to", "tiktok,nowhere")
    assert r.exit_code == 1
    out = r.output
    assert "no channel or platform named 'nowhere'" in out
    assert "tiktok: the caption is 2343 UTF-16 units long (with hashtags)" in out  # 2300 + 2 + 41
    assert "each side must be at least 360 px" in out


def test_media_added_is_stored_once_and_original_untouched(loa, channels, media_dir):
    original = (media_dir / "reel.mp4").read_bytes()
    for _ in range(2):
        r = loa("post", "add", "--text", "x", "--media", str(media_dir / "reel.mp4"), "--at", "2031-01-01 08:00",
                "--to", "facebook")
        assert r.exit_code == 0, r.output
    stored = [p for p in (loa.folder / "media").rglob("*") if p.is_file()]
    assert len(stored) == 1
    assert stored[0].read_bytes() == original
    assert (media_dir / "reel.mp4").read_bytes() == original


def test_not_a_video_is_refused_with_reason(loa, channels, media_dir):
    r = loa("post", "add", "--text", "x", "--media", str(media_dir / "notes.mp4"), "--at", "2031-01-01 08:00",
            "--to", "facebook")
    assert r.exit_code == 1
    assert "notes.mp4 is neither a picture nor a video" in r.output
    r = loa("post", "add", "--text", "x", "--media", str(media_dir / "empty.mp4"), "--at", "2031-01-01 08:00",
            "--to", "facebook")
    assert "empty (0 bytes)" in r.output


def _write_csv(path: Path, rows: list[dict], delimiter: str = ",", bom: bool = True) -> Path:
    cols = sorted({k for r in rows for k in r}, key=lambda c: ["at", "to", "text"].index(c) if c in ("at", "to", "text") else 9)
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols, delimiter=delimiter)
        w.writeheader()
        w.writerows(rows)
    return path


TIPS = [
    "Không chia sẻ mật khẩu, mã OTP với bất kỳ ai",
    "Người lạ hứa việc nhẹ lương cao: hãy hỏi ý kiến bố mẹ, thầy cô",
    "Bị đe dọa trên mạng? Em không một mình: báo ngay cho Công an xã",
    "Không gửi ảnh riêng tư cho người quen qua mạng",
    "Kiểm tra kỹ đường link trước khi bấm",
]


def test_csv_of_twenty_vietnamese_posts_imports_and_lists(loa, channels, tmp_path):
    rows = []
    for i in range(20):
        tip = TIPS[i % len(TIPS)] + f" (số {i + 1})"
        text = nfd(tip) if i % 2 else tip  # half typed on a keyboard that sends NFD
        if i % 3 == 0:
            text += " #khongmotminh"
        rows.append({"at": f"2031-10-{i + 1:02d} 08:00", "to": "facebook,zalo", "text": text})
    csv_path = _write_csv(tmp_path / "bai-dang.csv", rows)
    r = loa("post", "import", str(csv_path))
    assert r.exit_code == 0, r.output
    assert "Imported 20 posts" in r.output
    posts = json.loads(loa("post", "list", "--json").output)
    assert len(posts) == 20
    assert [p["due"] for p in posts] == [f"2031-10-{i + 1:02d} 08:00" for i in range(20)]
    for p in posts:
        assert p["text"] == unicodedata.normalize("NFC", p["text"])
        assert len(p["deliveries"]) == 2
    listing = loa("post", "list").output
    assert "DUE (Asia/Ho_Chi_Minh)" in listing
    assert "2031-10-20 08:00" in listing
    assert TIPS[1][:20] in listing  # NFD rows come back NFC, searchable as typed
    shown = json.loads(loa("post", "show", str(posts[0]["id"]), "--json").output)
    assert shown["text_per_platform"]["facebook"].count("#khongmotminh") == 1


def test_csv_with_three_bad_rows_is_refused_whole(loa, channels, tmp_path):
    rows = [{"at": f"2031-10-{i + 1:02d} 08:00", "to": "facebook", "text": f"Bài {i}"} for i in range(6)]
    rows[1]["at"] = "2020-01-01 08:00"
    rows[3]["to"] = "myspace"
    rows[4]["text"] = ""
    csv_path = _write_csv(tmp_path / "bad.csv", rows, delimiter=";")
    r = loa("post", "import", str(csv_path))
    assert r.exit_code == 1
    assert "3 problems found" in r.output
    assert "line 3: the time is in the past" in r.output
    assert "line 5: no channel or platform named 'myspace'" in r.output
    assert "line 6: the post has no text and no media" in r.output
    assert json.loads(loa("post", "list", "--json").output) == []


def test_csv_media_paths_are_relative_to_the_csv(loa, channels, tmp_path, media_dir):
    import shutil

    shutil.copy(media_dir / "reel.mp4", tmp_path / "trailer.mp4")
    csv_path = _write_csv(tmp_path / "m.csv", [{"at": "2031-10-01 08:00", "to": "tiktok", "text": "Trailer",
                                                "media": "trailer.mp4", "privacy_tiktok": "self_only",
                                                "allow_tiktok": "duet, comment", "music_tiktok": "có"}], bom=False)
    r = loa("post", "import", str(csv_path))
    assert r.exit_code == 0, r.output
    [post] = json.loads(loa("post", "list", "--json").output)
    # the spreadsheet's TikTok choices, as TikTok's words
    assert post["variants"]["tiktok"] == {"privacy": "SELF_ONLY", "allow": "comment,duet", "music": "yes"}


def test_a_tiktok_post_without_the_person_s_choices_is_refused_with_the_fix(loa, channels, media_dir):
    r = loa("post", "add", "--text", "Trailer", "--media", str(media_dir / "reel.mp4"), "--at", "2031-10-01 08:00",
            "--to", "tiktok")
    assert r.exit_code == 1
    assert "nobody has chosen who may see this video" in r.output and "--tiktok-privacy" in r.output
    assert "Music Usage Confirmation" in r.output and "--tiktok-music-ok" in r.output
    assert json.loads(loa("post", "list", "--json").output) == []
    r = loa("post", "add", "--text", "Trailer", "--media", str(media_dir / "reel.mp4"), "--at", "2031-10-01 08:00",
            "--to", "tiktok", "--tiktok-privacy", "MUTUAL_FOLLOW_FRIENDS", "--tiktok-allow", "comment",
            "--tiktok-disclose", "own", "--tiktok-music-ok")
    assert r.exit_code == 0, r.output
    [post] = json.loads(loa("post", "list", "--json").output)
    assert post["variants"]["tiktok"] == {"privacy": "MUTUAL_FOLLOW_FRIENDS", "allow": "comment", "disclose": "own",
                                          "music": "yes"}


def test_csv_unknown_column_is_named(loa, channels, tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("at,to,txet\n2031-01-01 08:00,facebook,hi\n", encoding="utf-8")
    r = loa("post", "import", str(p))
    assert r.exit_code == 1
    assert "unknown column(s): txet" in r.output
    assert "Known columns: at, to, text" in r.output and "hashtags" in r.output


def test_csv_hashtags_column_is_used(loa, channels, tmp_path):
    rows = [{"at": "2031-10-01 08:00", "to": "facebook", "text": "Mẹo tuần 1", "hashtags": "#tuan1 #meohay"},
            {"at": "2031-10-02 08:00", "to": "facebook", "text": "Không gắn thẻ", "hashtags": "không"},
            {"at": "2031-10-03 08:00", "to": "facebook", "text": "Bình thường", "hashtags": ""}]
    r = loa("post", "import", str(_write_csv(tmp_path / "t.csv", rows)))
    assert r.exit_code == 0, r.output
    posts = json.loads(loa("post", "list", "--json").output)
    texts = [json.loads(loa("post", "show", str(p["id"]), "--json").output)["text_per_platform"]["facebook"]
             for p in posts]
    assert texts[0] == "Mẹo tuần 1\n\n#tuan1 #meohay\n\n#khongmotminh #antoantructuyen #niemtinso", texts[0]
    assert texts[1] == "Không gắn thẻ"  # "no": not even the campaign's
    assert "#tuan1" not in texts[2] and "#khongmotminh" in texts[2]
    bad = _write_csv(tmp_path / "b.csv", [{"at": "2031-10-01 08:00", "to": "facebook", "text": "x",
                                           "hashtags": "tuan1"}])
    r = loa("post", "import", str(bad))
    assert r.exit_code == 1 and "line 2: hashtags: 'tuan1' is not a hashtag" in r.output


def test_edit_reschedule_cancel(loa, channels):
    pid = json.loads(loa("post", "add", "--text", "Cũ", "--at", "2031-10-20 08:00", "--to", "facebook,zalo",
                         "--json").output)["id"]
    r = loa("post", "edit", str(pid), "--text", nfd("Mới"), "--zalo-description", "Tóm tắt")
    assert r.exit_code == 0, r.output
    shown = json.loads(loa("post", "show", str(pid), "--json").output)
    assert shown["text"] == "Mới"
    assert shown["variants"] == {"zalo": {"description": "Tóm tắt"}}
    r = loa("post", "edit", str(pid), "--zalo-description", "d" * 251)
    assert r.exit_code == 1 and "over Zalo's 250" in r.output
    assert loa("post", "reschedule", str(pid), "--at", "21/10/2031 19:30").exit_code == 0
    shown = json.loads(loa("post", "show", str(pid), "--json").output)
    assert shown["due"] == "2031-10-21 19:30"
    assert {d["due_at"] for d in shown["deliveries"]} == {"2031-10-21T19:30:00+07:00"}
    assert loa("post", "reschedule", str(pid), "--at", "2020-01-01 00:00").exit_code == 1
    r = loa("post", "cancel", str(pid))
    assert "2 delivery(ies) cancelled" in r.output
    assert loa("post", "list", "--status", "cancelled", "--json").output.count('"id"') >= 1
    r = loa("post", "edit", str(pid), "--text", "again")
    assert r.exit_code == 1 and "nothing left to publish" in r.output


def test_post_in_flight_cannot_be_edited(loa, channels):
    from content_queue.models import Delivery, DeliveryState
    from loa import settings

    pid = json.loads(loa("post", "add", "--text", "x", "--at", "2031-10-20 08:00", "--to", "facebook",
                         "--json").output)["id"]
    folder = settings.find()
    with folder.sessions.begin() as s:
        for d in s.query(Delivery).filter_by(post_id=pid):
            d.state = DeliveryState.publishing
    r = loa("post", "cancel", str(pid))
    assert r.exit_code == 1
    assert "being published right now" in r.output


def test_unknown_post_is_a_user_error(loa):
    r = loa("post", "show", "999")
    assert r.exit_code == 1 and "No post 999" in r.output


def _commands(group, prefix=()):
    import click

    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, prefix + (name,))
        else:
            yield prefix + (name,), cmd


def test_every_command_has_help_with_an_example():
    from loa.cli import cli

    missing = [" ".join(path) for path, cmd in _commands(cli)
               if not cmd.help or "Example" not in cmd.help]
    assert missing == []


def test_every_command_is_in_the_readme():
    from loa.cli import cli

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    missing = [" ".join(path) for path, _ in _commands(cli) if "loa " + " ".join(path) not in readme]
    assert missing == []


def test_campaign_set_keeps_the_rules_init_checks(loa):
    """`loa campaign set` goes through the same rules as `loa init` (it used to change the model
    directly): no empty name, no end before the start, no unknown time zone."""
    ok = loa("campaign", "set", "--start", "2031-10-06", "--end", "2031-11-30", "--grace", "180",
             "--hashtags", "#khongmotminh  #niemtinso")
    assert ok.exit_code == 0, ok.output
    shown = json.loads(loa("campaign", "show", "--json").output)
    assert shown["grace_minutes"] == 180 and shown["hashtags"] == ["#khongmotminh", "#niemtinso"]
    for args, says in ((["--name", "   "], "needs a name"), (["--end", "2031-10-01"], "end before it starts"),
                       (["--tz", "Mars/Olympus"], "Mars/Olympus")):
        r = loa("campaign", "set", *args)
        assert r.exit_code == 1 and says in r.output, r.output
    assert json.loads(loa("campaign", "show", "--json").output) == shown  # nothing changed
