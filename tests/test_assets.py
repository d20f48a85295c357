"""Issue 18: static files under content-hashed names, compressed ahead and cached for a
year; the plain names revalidated (consult/assets.py)."""
from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

import brotli
import pytest

from consult.assets import build

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "static"
HDS = ROOT / "node_modules" / "hds-core" / "lib"
LINKED = re.compile(r'(?:href|src)="/static/([^"]+)"')
YEAR = "max-age=31536000, public, immutable"


def source_of(hashed: str) -> bytes:
    """The file of static/ that a hashed name stands for, checked against its hash."""
    match = re.fullmatch(r"(.+)\.([0-9a-f]{12})(\.[a-z]+)", hashed)
    assert match, f"{hashed} carries no content hash"
    content = (STATIC / (match.group(1) + match.group(3))).read_bytes()
    assert hashlib.sha256(content).hexdigest()[:12] == match.group(2)
    return content


def linked_files(client) -> list[str]:
    return LINKED.findall(client.get("/login").text)


def test_the_pages_link_every_static_file_by_its_content_hash(client):
    linked = linked_files(client)
    assert len(linked) == 5  # the icon, two stylesheets, two scripts
    for name in linked:
        source_of(name)


@pytest.mark.parametrize("accepted, encoding, decode", [
    ("gzip, deflate, br, zstd", "br", brotli.decompress),
    ("gzip, deflate", "gzip", gzip.decompress),
    ("", None, lambda body: body),
])
def test_a_hashed_file_is_sent_compressed_as_accepted_and_kept_for_a_year(
        client, accepted, encoding, decode):
    for name in linked_files(client):
        response = client.get(f"/static/{name}", headers={"Accept-Encoding": accepted})
        assert response.status_code == 200
        assert response.headers.get("Content-Encoding") == encoding, name
        assert decode(response.data) == source_of(name)
        assert response.headers["Cache-Control"] == YEAR
        assert response.headers["Vary"] == "Accept-Encoding"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert "Strict-Transport-Security" in response.headers
        assert "Access-Control-Allow-Origin" not in response.headers


def test_a_plain_name_still_answers_but_is_revalidated_on_each_use(client):
    response = client.get("/static/css/consult.css", headers={"Accept-Encoding": "br"})
    assert response.status_code == 200
    assert response.data == (STATIC / "css" / "consult.css").read_bytes()
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_changed_file_gets_a_new_name_and_an_unchanged_one_is_not_made_again(tmp_path):
    source, target = tmp_path / "static", tmp_path / "instance" / "assets"
    (source / "css").mkdir(parents=True)
    (source / "css" / "site.css").write_text("body { color: black; }\n" * 40)
    first = build(source, target)["css/site.css"]
    made = (target / first).stat().st_mtime_ns
    assert {p.name for p in (target / "css").iterdir()} == {
        Path(first).name, Path(first).name + ".gz", Path(first).name + ".br"}

    assert build(source, target)["css/site.css"] == first
    assert (target / first).stat().st_mtime_ns == made

    (source / "css" / "site.css").write_text("body { color: navy; }\n" * 40)
    second = build(source, target)["css/site.css"]
    assert second != first and (target / second).exists()
    assert brotli.decompress((target / (second + ".br")).read_bytes()) == \
        (source / "css" / "site.css").read_bytes()
    assert not list((tmp_path / "instance").glob(".assets-*")), "no scratch folder is left"


def test_the_pruned_hds_stylesheet_keeps_every_rule_our_markup_can_use():
    """`make vendor` keeps only the hds-core rules our templates and consult.js match
    (PurgeCSS): a class newly used in a template, or a variable newly used in
    consult.css, needs `make vendor` again (or its component added to the Makefile)."""
    ours = "".join(p.read_text(encoding="utf-8")
                   for p in [*(ROOT / "consult" / "templates").rglob("*.html"),
                             STATIC / "js" / "consult.js"])
    everything = "".join(p.read_text(encoding="utf-8")
                         for p in [HDS / "base.min.css", *HDS.glob("components/*/*.min.css")])
    vendored = (STATIC / "vendor" / "hds-core-5.2.2.min.css").read_text(encoding="utf-8")

    used = set(re.findall(r"hds-[\w-]+", ours))
    # A class hds-core styles for us: in a selector none of whose classes we lack.
    styled = {name for group in re.findall(r"([^{}]+)\{", everything)
              for selector in group.split(",")
              if (classes := set(re.findall(r"\.([\w-]+)", selector))) and classes <= used
              for name in classes}
    missing = sorted(name for name in styled
                     if not re.search(rf"\.{re.escape(name)}(?![\w-])", vendored))
    assert not missing, f"hds-core styles these, the vendored file does not: {missing}"

    own = (STATIC / "css" / "consult.css").read_text(encoding="utf-8")
    undefined = sorted(name for name in set(re.findall(r"var\((--[\w-]+)", own))
                       if f"{name}:" not in own and f"{name}:" not in vendored)
    assert not undefined, f"consult.css uses variables defined nowhere: {undefined}"


def test_a_page_is_sent_uncompressed_whatever_the_browser_accepts(client):
    """Pages carry the CSRF token and may echo what was typed: compressed, their size
    would leak them (BREACH). Only the static files are compressed."""
    response = client.get("/login", headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert 'name="csrf_token"' in response.text
    assert "Content-Encoding" not in response.headers
