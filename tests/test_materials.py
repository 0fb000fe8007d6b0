"""Ấn phẩm: the poster, the flyer and the bookmark as PDF. Read back as a printer would: the text
extracted (pdftotext, Debian's poppler-utils) holds the hashtags and the help line with every
diacritic; the pages rendered to PNG (pdftoppm) are the sizes asked for, written under artifacts/
to be looked at; the QR code on the rendered page decodes to the campaign's link."""
from __future__ import annotations

import json
import shutil
import subprocess
import unicodedata

import pytest

from tests.browser import artifact

HELP = "Công an xã Ia Grai: 0269 3812 345 – Tổng đài bảo vệ trẻ em 111"
PUBLIC = "https://loa.congan-xa.example"


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if not path:
        pytest.skip(f"{tool} is not installed (Debian's poppler-utils; .ci/run installs it)")
    return path


@pytest.fixture
def campaign(loa):
    r = loa("campaign", "set", "--help-line", HELP, "--public-url", PUBLIC, "--message",
            "Không ai phải một mình đối mặt với những mối nguy trên mạng. Khi bị dụ dỗ, đe doạ hay lừa đảo: "
            "hãy nói ngay với gia đình, thầy cô, công an.")
    assert r.exit_code == 0, r.output
    return loa


@pytest.mark.parametrize("kind,size_mm", [("poster", (210, 297)), ("flyer", (105, 148)), ("bookmark", (50, 180))])
def test_each_material_reads_back_with_its_diacritics_size_and_qr_code(campaign, kind, size_mm, tmp_path):
    import zxingcpp
    from PIL import Image

    out = tmp_path / f"{kind}.pdf"
    r = campaign("materials", kind, "--out", str(out), "--json")
    assert r.exit_code == 0, r.output
    link = json.loads(r.output)["link"]
    assert link.startswith(PUBLIC + "/c/") and len(link) > len(PUBLIC) + 10
    text = subprocess.run([_poppler("pdftotext"), "-layout", str(out), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = unicodedata.normalize("NFC", " ".join(text.split()))
    for words in ("#khongmotminh", "#antoantructuyen", "#niemtinso", "Không một mình", "0269 3812 345",
                  "Tổng đài bảo vệ trẻ em 111", "đe doạ", "Công an xã Ia Grai"):
        assert words in flat, (words, flat)
    png = tmp_path / kind
    subprocess.run([_poppler("pdftoppm"), "-r", "150", "-png", "-singlefile", str(out), str(png)], check=True)
    page = Image.open(f"{png}.png")
    w_mm, h_mm = (round(px / 150 * 25.4) for px in page.size)
    assert (w_mm, h_mm) == size_mm
    shutil.copy(f"{png}.png", artifact(f"materials-{kind}.png"))
    found = [c.text for c in zxingcpp.read_barcodes(page) if c.format == zxingcpp.BarcodeFormat.QRCode]
    assert found == [link]


def test_materials_refuse_without_a_public_address_and_keep_an_existing_file(loa, tmp_path):
    r = loa("materials", "poster", "--out", str(tmp_path / "a.pdf"))
    assert r.exit_code == 1 and "--public-url" in r.output and not (tmp_path / "a.pdf").exists()
    mine = tmp_path / "ap-phich.pdf"
    mine.write_bytes(b"the officer's own file")
    r = loa("materials", "poster", "--out", str(mine), "--public-url", PUBLIC)
    assert r.exit_code == 1 and "already exists" in r.output and mine.read_bytes() == b"the officer's own file"
    r = loa("materials", "poster", "--out", str(mine), "--public-url", PUBLIC, "--force")
    assert r.exit_code == 0 and mine.read_bytes().startswith(b"%PDF")
    assert not list(tmp_path.glob("*.part"))


def test_a_very_long_name_shrinks_to_fit_and_is_never_cut(tmp_path):
    from loa.materials import Facts, render

    name = "Chiến dịch " + "Không một mình – Cùng nhau an toàn trực tuyến " * 6
    data = render("bookmark", Facts(name=name, message="Thông điệp " * 80, hashtags="#khongmotminh", help_line=HELP,
                                    link=PUBLIC + "/c/x"))
    assert data.startswith(b"%PDF")
    pdf = tmp_path / "long.pdf"
    pdf.write_bytes(data)
    text = subprocess.run([_poppler("pdftotext"), str(pdf), "-"], capture_output=True, text=True).stdout
    assert " ".join(text.split()).count("Không một mình") == 6 and "111" in text


def test_the_workspace_offers_the_materials_and_says_what_is_missing(ws):  # noqa: F811
    from tests.test_workspace import sign_in, token

    client = ws.test_client()
    sign_in(client, "can-bo")
    page = client.get("/materials").get_data(as_text=True)
    assert "Ấn phẩm" in page and "Hãy điền địa chỉ công khai ở trang Chiến dịch" in page
    assert client.get("/materials/poster.pdf").status_code == 409
    camp = client.get("/campaign").get_data(as_text=True)
    r = client.post("/campaign", data={"csrf_token": token(camp), "name": "Không một mình", "approval": "off",
                                       "public_url": "loa.example", "help_line": HELP}, follow_redirects=True)
    assert "không phải là địa chỉ web" in r.get_data(as_text=True)
    client.post("/campaign", data={"csrf_token": token(camp), "name": "Không một mình", "approval": "off",
                                   "public_url": PUBLIC + "/", "help_line": HELP})
    page = client.get("/materials").get_data(as_text=True)
    assert f"{PUBLIC}/c/" in page and "/materials/bookmark.pdf" in page
    pdf = client.get("/materials/bookmark.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    qr = client.get("/materials/qr.png")
    assert qr.mimetype == "image/png"
    assert client.get("/materials/standee.pdf").status_code == 404
    viewer = ws.test_client()
    sign_in(viewer, "xem")
    assert viewer.get("/materials/flyer.pdf").status_code == 200  # a viewer reads (and prints) everything


from tests.test_workspace import ws  # noqa: E402,F401 (fixture)
