"""`bersama detect` through typer's runner: single items, files, JSON lines in order."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from bersama.cli.detect import app

runner = CliRunner()


def test_message_human() -> None:
    res = runner.invoke(app, ["message", "WIN a FREE prize! Call 09061701461 now to claim"])
    assert res.exit_code == 0, res.output
    assert "scam" in res.output


def test_file_json_one_line_per_item_in_order(tmp_path: Path) -> None:
    f = tmp_path / "msgs.txt"
    f.write_text("hello mum see you later\n\nWIN cash now call 09061701461\n", "utf-8")
    res = runner.invoke(app, ["message", "--file", str(f), "--json"])
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in res.output.splitlines()]
    assert len(lines) == 3
    assert lines[1]["error"]["line"] == 2  # the empty line, reported in place
    assert lines[2]["label"] == "scam"


def test_url_csv(tmp_path: Path) -> None:
    f = tmp_path / "urls.csv"
    f.write_text("id,url\n1,https://www.maybank2u.com.my/\n2,http://rnaybank2u.xyz/login\n",
                 "utf-8")
    res = runner.invoke(app, ["url", "--file", str(f), "--json"])
    assert res.exit_code == 0, res.output
    out = [json.loads(x) for x in res.output.splitlines()]
    assert [o["kind"] for o in out] == ["url", "url"]
    assert out[0]["probability"] < out[1]["probability"]


def test_csv_without_column(tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text("a,b\n1,2\n", "utf-8")
    res = runner.invoke(app, ["url", "--file", str(f)])
    assert res.exit_code != 0
    assert "url" in str(res.exception)


def test_invalid_utf8_file(tmp_path: Path) -> None:
    f = tmp_path / "x.txt"
    f.write_bytes(b"\xff\xfe\x00bad")
    res = runner.invoke(app, ["message", "--file", str(f)])
    assert res.exit_code != 0
    assert "UTF-8" in str(res.exception)


def test_undecodable_line_is_an_error_on_its_line(tmp_path: Path) -> None:
    f = tmp_path / "msgs.txt"
    f.write_bytes(b"hello mum\r\nbad \xff byte\r\nsplit\xe2\x80\xa8not here\nWIN cash now "
                  b"call 09061701461\n")
    res = runner.invoke(app, ["message", "--file", str(f), "--json"])
    assert res.exit_code == 0, res.output
    out = [json.loads(x) for x in res.output.splitlines()]
    assert len(out) == 4  # one per \n-terminated line; U+2028 does not split a line
    assert out[1]["error"]["line"] == 2
    assert "line 2 is not valid UTF-8" in out[1]["error"]["detail"]
    assert out[2]["kind"] == "message"
    assert out[3]["label"] == "scam"


def test_binary_file_refused_whole(tmp_path: Path) -> None:
    f = tmp_path / "x.bin"
    f.write_bytes(b"MZ\x00\x00\x90\x00\x03")
    res = runner.invoke(app, ["message", "--file", str(f)])
    assert res.exit_code != 0
    assert "binary" in str(res.exception)


def test_undecodable_argument_is_a_clear_error() -> None:
    res = runner.invoke(app, ["message", "bad \udcff utf8"])
    assert res.exit_code != 0
    assert "message is not valid UTF-8" in str(res.exception)


def test_country_option() -> None:
    res = runner.invoke(app, ["message", "call 09171234567 to claim", "--country", "PH",
                              "--json"])
    assert res.exit_code == 0, res.output
    assert {"kind": "phone", "key": "+639171234567",
            "display": "+63 917 123 4567"} in json.loads(res.output)["entities"]


def test_csv_cell_over_the_field_limit_is_an_error_on_its_row_only(tmp_path: Path) -> None:
    """A cell the csv module refuses (over 131,072 characters) makes its row an error
    naming the row and column, and the rows after it are still scored: before, the whole
    file was refused ("bad CSV at line 3: field larger than field limit")."""
    big = "x" * (csv.field_size_limit() + 1)
    f = tmp_path / "export.csv"
    f.write_text(f'id,text,notes\n1,hello mum see you later,\n2,"{big}\nstill, the cell",\n'
                 f"3,WIN cash now call 09061701461,\n4,see you at 6,{big}\n5,ok thanks,\n",
                 "utf-8")
    res = runner.invoke(app, ["message", "--file", str(f), "--json"])
    assert res.exit_code == 0, res.output
    out = [json.loads(x) for x in res.output.splitlines()]
    assert len(out) == 5
    assert [o["error"]["line"] for o in out if "error" in o] == [2, 4]
    assert out[1]["error"]["detail"] == (
        "line 2 (the row at line 3 of the file): column 2 (text) is longer than "
        f"{csv.field_size_limit():,} characters: row not scored")
    assert "column 3 (notes)" in out[3]["error"]["detail"]
    assert out[2]["label"] == "scam"
    assert [o["kind"] for o in out if "error" not in o] == ["message"] * 3
