"""Mutations of real and generated reports (flipped bytes, cuts, far cells, entity tricks, formulas
without values, dates and text in count cells, NUL bytes, long lines, hostile names): each one is
either imported, and undone again, or refused with a Vietnamese message, within 20 seconds, while
the database stays as it was. Seeded, so a failure repeats."""
import io
import random
import re
import resource
import time
import zipfile

import duckdb
import pytest

from conftest import REALDATA, USERS, user
from kpi import plan, setup
from kpi.service import Actor, Service
from kpi.store import Store, StoreError
from kpi.ingest.readers import InputError
from sheets import bieu06, counts

VIETNAMESE = re.compile("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹáàãéèíìóòõúùýđ]", re.I)


def seeds() -> list[tuple[str, bytes]]:
    found = [(p.name, p.read_bytes()) for p in sorted(REALDATA.glob("*.xlsx"))]
    made = bieu06([("I", "Cơ quan chuyên môn", [("Phòng Tư pháp", counts(45, 5)), ("Phòng Nội vụ", counts(10, 0))]),
                   ("II", "UBND các xã, thị trấn", [("UBND xã Mỹ Hương", counts(37, 13))])])
    csv = ("STT;Đơn vị;Tổng số;Trực tuyến;Trực tiếp\n1;Phòng Tư pháp;50;45;5\n2;Phòng Nội vụ;10;10;0\n").encode("utf-8")
    return [*found, ("bieu06.xlsx", made), ("bao-cao.csv", csv)]


def _rezip(data: bytes, change) -> bytes:
    """The same workbook with each worksheet's XML changed by `change`."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            body = source.read(entry.filename)
            if entry.filename.startswith("xl/worksheets/sheet"):
                body = change(body)
            target.writestr(entry.filename, body)
    return out.getvalue()


def mutants(rng: random.Random) -> list[tuple[str, str, bytes]]:
    out = []
    for name, data in seeds():
        zipped = data.startswith(b"PK")
        for i in range(4):  # bytes flipped, anywhere
            flipped = bytearray(data)
            for _ in range(rng.randint(1, 20)):
                flipped[rng.randrange(len(flipped))] = rng.randrange(256)
            out.append((f"lật byte {i}", name, bytes(flipped)))
        for cut in (0.1, 0.5, 0.97):
            out.append((f"cắt còn {cut:.0%}", name, data[:int(len(data) * cut)]))
        if zipped:
            out += [
                ("ô ở XFD1048576", name, _rezip(data, lambda x: x.replace(
                    b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'))),
                ("ô ở GR299999", name, _rezip(data, lambda x: x.replace(
                    b"</sheetData>", b'<row r="299999"><c r="GR299999"><v>1</v></c></row></sheetData>'))),
                ("kích thước khai man", name, _rezip(data, lambda x: re.sub(
                    rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', x))),
                ("thực thể XML", name, _rezip(data, lambda x: x.replace(
                    b"<worksheet", b'<!DOCTYPE w [<!ENTITY e SYSTEM "file:///etc/passwd">]><worksheet', 1))),
                ("công thức không giá trị", name, _rezip(data, lambda x: re.sub(
                    rb"<v>(\d+)</v>", rb"<f>1+\1</f>", x, count=3))),
                ("số thành ngày", name, _rezip(data, lambda x: re.sub(
                    rb'<c r="([C-F]\d+)"([^>]*)><v>\d+</v>', rb'<c r="\1" t="d"\2><v>2024-03-01T00:00:00</v>', x,
                    count=5))),
                ("NUL trong ô", name, _rezip(data, lambda x: re.sub(rb"<t>([^<]{3})", b"<t>\\1\x00", x, count=3))),
            ]
        else:
            text = data.decode("utf-8")
            out += [
                ("NUL", name, data.replace(b"45", b"4\x005")),
                ("dòng rất dài", name, (text + "3;" + "x" * 300_000 + ";1;1;0\n").encode("utf-8")),
                ("tên có hình ảnh và dấu phải-sang-trái", name,
                 text.replace("Phòng Nội vụ", "![](http://evil.example/x.png)\u202e Nội vụ").encode("utf-8")),
                ("tên như công thức", name, text.replace("Phòng Nội vụ", '=HYPERLINK("http://x","y")').encode()),
                ("chữ trong ô số", name, text.replace(";45;", ";bốn lăm;").encode("utf-8")),
            ]
    return out


def state(path) -> tuple:
    with duckdb.connect(str(path), read_only=True) as con:
        return tuple(con.execute(sql).fetchall() for sql in (
            "SELECT * FROM monthly_counts ORDER BY ALL", "SELECT unit_id, name, group_name, until FROM units ORDER BY 1",
            "SELECT * FROM unit_aliases ORDER BY ALL", "SELECT import_id, undone_at IS NULL FROM imports ORDER BY 1"))


@pytest.fixture
def door(tmp_path):
    path = tmp_path / "kpi.duckdb"
    setup.initialise(Store(path), plan.SHIPPED_PLAN)
    user(path, "uploader")
    return Service(path, Actor(USERS["uploader"], "uploader"))


def test_every_mutant_is_imported_or_refused_in_vietnamese_leaving_the_database_as_it_was(door):
    rng = random.Random(20261126)
    cases = mutants(rng)
    assert len(cases) >= 40
    outcomes = {"nhập rồi hoàn tác": 0, "từ chối": 0}
    for what, name, data in cases:
        before, started = state(door.path), time.monotonic()
        try:
            prepared = door.prepare(name, data)
            message = "\n".join(prepared.errors) or prepared.already_imported
            if not message:
                result = door.commit(prepared, (2024, 3), new_units={n: "Khác" for n in prepared.unknown},
                                     accept_warnings=True, replace=True)
                door.undo_import(result["import_id"])
                outcomes["nhập rồi hoàn tác"] += 1
        except (InputError, StoreError) as error:
            message = str(error)
        if message:
            outcomes["từ chối"] += 1
            assert VIETNAMESE.search(message) and "Traceback" not in message, (what, name, message)
            assert not re.search(r"error|Error|calamine", message), (what, name, message)  # no parser's English
        assert time.monotonic() - started < 20, (what, name)
        assert state(door.path)[:3] == before[:3], (what, name)  # counts, units, aliases as they were
    assert outcomes["từ chối"] >= 15 and outcomes["nhập rồi hoàn tác"] >= 3, outcomes
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 1024 * 1024  # KB: this process stayed under 1 GB
