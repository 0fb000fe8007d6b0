"""Ấn phẩm: the printed materials to download (the same PDFs as `loa materials`), the campaign's
link and its QR code."""
from __future__ import annotations

import io

from flask import Response, abort, render_template

from content_queue.errors import UserError

from .common import context



def register(app) -> None:
    app.add_url_rule("/materials", "materials", materials_page)
    app.add_url_rule("/materials/<kind>.pdf", "material_pdf", material_pdf)
    app.add_url_rule("/materials/qr.png", "material_qr", material_qr)


def _facts():
    from .. import materials as M

    ctx = context()
    with ctx["sessions"]() as s:
        return M.facts_of(s, ctx["campaign"](s))


def materials_page():
    from .. import materials as M

    try:
        facts, refusal = _facts(), None
    except UserError as exc:
        facts, refusal = None, exc.on_the_web()
    kinds = [{"kind": k, "label": M.label(k), "size": M.SIZES[k]} for k in M.KINDS]
    return render_template("workspace/materials.html", facts=facts, refusal=refusal, kinds=kinds, nav="materials")


def material_pdf(kind: str):
    from .. import materials as M

    if kind not in M.KINDS:
        abort(404)
    try:
        data = M.render(kind, _facts())
    except UserError:
        abort(409)
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{kind}.pdf"'})


def material_qr():
    import qrcode

    try:
        link = _facts().link
    except UserError:
        abort(409)
    buf = io.BytesIO()
    qrcode.make(link, box_size=12, border=4).save(buf, format="PNG")
    return Response(buf.getvalue(), mimetype="image/png",
                    headers={"Content-Disposition": 'attachment; filename="qr.png"'})
