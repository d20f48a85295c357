"""The static files as browsers get them: under names that carry their content's hash,
compressed ahead, cached for a year (issue 18).

At start-up every file of `static/` gets a copy in `instance/assets/` named after its
content (`css/consult.css` → `css/consult.<12 hex of its SHA-256>.css`) with gzip and
brotli siblings (`.gz`, `.br`, made by WhiteNoise's compressor). A copy that is already
there is kept: a start after the first only reads and hashes the sources, and a
changed file gets a new name, so no browser keeps an old one. `url_for('static',
filename=…)` gives the hashed name; WhiteNoise answers for those names in front of the
app, in the encoding the browser accepts (`Vary: Accept-Encoding`), with
`Cache-Control: max-age=31536000, public, immutable`. The plain names are still
Flask's, sent from `static/` to be revalidated on each use (`Cache-Control:
no-cache`), for whatever linked them before.

Several processes may start at once (gunicorn's workers, the test workers): each file
is made in a folder of its own beside `assets/` and moved in with a rename, its
compressed siblings first, so a process sees a hashed name only once it is complete.
Copies of earlier contents stay, and are still served: a page made before a restart
may ask for them."""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from flask import Flask
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

ONE_YEAR = 365 * 24 * 60 * 60


class StaticFiles(WhiteNoise):
    """WhiteNoise with a year, not its ten, for the files it marks immutable: the
    longest expiry HTTP/1.1 asked servers to send (RFC 2616, 14.21)."""

    FOREVER = ONE_YEAR


def hashed_name(name: str, content: bytes) -> str:
    """`vendor/htmx-2.0.11.min.js` → `vendor/htmx-2.0.11.min.<hash>.js`."""
    path = PurePosixPath(name)
    digest = hashlib.sha256(content).hexdigest()[:12]
    return str(path.with_name(f"{path.stem}.{digest}{path.suffix}"))


def build(source: Path, target: Path) -> dict[str, str]:
    """Every file under `source` copied under its hashed name into `target`, with its
    compressed siblings; returns {name: hashed name}, names relative with '/'."""
    names = {}
    compressor = Compressor(quiet=True)
    for path in sorted(source.rglob("*")):
        if not path.is_file():
            continue
        name = path.relative_to(source).as_posix()
        content = path.read_bytes()
        names[name] = hashed_name(name, content)
        built = target / names[name]
        if not built.exists():
            _put(content, built, target.parent, compressor)
    return names


def _put(content: bytes, built: Path, scratch_in: Path, compressor: Compressor) -> None:
    """Writes the file and its compressed siblings in a scratch folder outside the
    served one (on the same disk), then renames them into place, the file last."""
    built.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".assets-", dir=scratch_in))
    try:
        draft = scratch / built.name
        draft.write_bytes(content)
        made = compressor.compress(str(draft)) if compressor.should_compress(draft.name) else []
        for sibling in made:
            os.replace(sibling, built.parent / Path(sibling).name)
        os.replace(draft, built)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def init_app(app: Flask) -> None:
    from consult.security import static_file_headers

    target = Path(app.instance_path) / "assets"
    names = build(Path(app.static_folder), target)

    @app.url_defaults
    def hashed(endpoint: str, values: dict) -> None:
        if endpoint == "static" and values.get("filename") in names:
            values["filename"] = names[values["filename"]]

    app.wsgi_app = StaticFiles(
        app.wsgi_app, root=str(target), prefix=app.static_url_path,
        immutable_file_test=lambda path, url: True,  # every name there is a hashed one
        allow_all_origins=False, add_headers_function=static_file_headers(app))
