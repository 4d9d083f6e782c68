"""The table formats: JSON Lines, Parquet and gzip round trips, the format rules, conversions between formats, and
a property test that JSON Lines objects keep every key and value exactly."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT, invoke
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factopinion import load_model
from factopinion.errors import DataError
from factopinion.labeling.batch import SENTENCE_COLUMNS, BatchOptions, label_file
from factopinion.tables.jsonl import append_members, object_members
from factopinion.tables.registry import TableFormat, resolve_formats
from factopinion.text import split_sentences

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

TEXTS = [
    "The council said on Tuesday it would raise bus fares by 3 percent.",
    "This plan is a disgrace. The council should resign!",
    None,
    "Police said 12 people were detained after the protest.",
]
LINES = [
    '{"id": 1, "text": "The council said on Tuesday it would raise bus fares by 3 percent.", "score": 1.50}\n',
    '{"id":2,"text":"This plan is a disgrace. The council should resign!","score":1e5,"nested":{"a":[1,null,true]}}\r\n',
    '  {"id": 3, "text": null, "score": -0.0}  \n',
    '{"text": "Police said 12 people were detained after the protest.", "id": 4, "score": 12345678901234567890}',
]


def label(*args, input=None):
    result = invoke(["label", *map(str, args)], input=input)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def jsonl(tmp_path) -> Path:
    path = tmp_path / "articles.jsonl"
    path.write_text("".join(LINES), encoding="utf-8")
    return path


def pairs(line: str) -> list:
    """The members of a JSON object line, in order, as (key, value) pairs (nested objects too)."""
    return json.loads(line, object_pairs_hook=list)


# -- the format rules ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "destination", "given", "expected"),
    [
        ("a.csv", "b.csv", None, ("csv", "csv")),
        ("a.tsv", None, None, ("tsv", "tsv")),
        ("a.jsonl", None, None, ("jsonl", "jsonl")),
        ("a.ndjson.gz", "b.parquet", None, ("jsonl.gz", "parquet")),
        ("a.parquet", None, None, ("parquet", "csv")),  # standard output gets text
        ("a.csv.gz", "b.csv.gz", None, ("csv.gz", "csv.gz")),
        (None, "b.tsv", None, ("tsv", "tsv")),  # standard input takes the output's CSV/TSV extension
        (None, "b.jsonl", None, ("csv", "jsonl")),
        (None, None, "jsonl", ("jsonl", "jsonl")),
        ("a.txt", None, "tsv", ("tsv", "tsv")),
        ("a.dat", "b.out", None, ("csv", "csv")),
    ],
)
def test_formats_come_from_names_then_the_format_option(source, destination, given, expected):
    source_format, sink_format = resolve_formats(source, destination, given)
    assert (str(source_format), str(sink_format)) == expected


def test_parquet_is_never_gzipped():
    with pytest.raises(DataError, match="drop the .gz"):
        resolve_formats("a.csv", "b.parquet.gz", None)


def test_member_parsing_keeps_the_text_of_every_key_and_value():
    line = '{ "a" : 1.50 , "b\\u00e9":[1, {"c": null}],"d":"x\\"y" }'
    assert object_members(line) == [("a", '"a"', "1.50"), ("bé", '"b\\u00e9"', '[1, {"c": null}]'),
                                     ("d", '"d"', '"x\\"y"')]  # fmt: skip
    assert object_members("{}") == []
    for bad in ("[1]", '{"a" 1}', '{"a": 1,}', "", '{"a": 1'):
        with pytest.raises(ValueError):
            object_members(bad)
    assert append_members('{"a": 1}\r\n', '"b": 2') == '{"a": 1, "b": 2}\r\n'
    assert append_members("{ }", '"b": 2') == '{ "b": 2}\n'


# -- JSON Lines ---------------------------------------------------------------------------------------------------


def test_jsonl_keeps_each_line_byte_for_byte_and_appends_typed_keys(jsonl, model):
    result = label(jsonl)
    expected = round(float(model.opinion_probability([json.loads(LINES[0])["text"]])[0]), 6)
    lines = result.stdout_bytes.decode("utf-8").splitlines(keepends=True)
    assert len(lines) == 4
    for line, out in zip(LINES, lines, strict=True):
        body = line.rstrip("\r\n").rstrip()
        assert out.startswith(body[:-1])  # every character before the closing brace, as it was
        assert out.endswith(line[len(line.rstrip("\r\n")) :] or "\n")  # and its own line terminator
    first, second, third, fourth = (pairs(line) for line in lines)
    assert first[:-3] == pairs(LINES[0])
    assert first[-3:] == [("label", "fact"), ("opinion_probability", expected), ("language", "en")]
    assert second[:-3] == pairs(LINES[1]) and second[-3][1] == "opinion"
    assert third[-3:] == [("label", None), ("opinion_probability", None), ("language", None)]
    assert fourth[2] == ("score", 12345678901234567890)
    assert "4 rows: 3 labeled, 1 empty" in result.stderr


def test_jsonl_sentences_keep_and_documents(jsonl):
    sentences = [pairs(line) for line in label(jsonl, "--sentences", "--keep", "id").stdout.splitlines()]
    assert [row[0] for row in sentences] == [("id", 1), ("id", 2), ("id", 2), ("id", 3), ("id", 4)]
    assert [key for key, _ in sentences[1]] == ["id", "row", "sentence_index", "start", "end", "sentence", "label",
                                               "opinion_probability", "language"]  # fmt: skip
    assert sentences[3][2:] == [("sentence_index", None), ("start", None), ("end", None), ("sentence", None),
                                ("label", None), ("opinion_probability", None), ("language", None)]  # fmt: skip
    full = label(jsonl, "--sentences", "--keep", "id,text,score").stdout.splitlines()
    assert full[2].startswith('{"id": 2, "text": "This plan is a disgrace. The council should resign!", "score": 1e5,')
    default = label(jsonl, "--sentences").stdout.splitlines()  # every key but the text, values as written
    assert default[2].startswith('{"id": 2, "score": 1e5, "nested": {"a":[1,null,true]}, "row": 2,')
    documents = [json.loads(line) for line in label(jsonl, "--documents").stdout.splitlines()]
    assert [d["sentences"] for d in documents] == [1, 2, None, 1]
    assert documents[1]["opinion_share"] == 1.0 and isinstance(documents[0]["sentences"], int)


def test_jsonl_conflicts_replace_and_bad_lines(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"text": "The council met.", "label": "x", "k": 1}\n[1, 2]\n{"text": 5}\nnot json\n', "utf-8")
    clash = invoke(["label", str(path)])
    assert clash.exit_code == 1 and "already has a column 'label'" in clash.output
    bad = invoke(["label", str(path), "--replace-columns"])
    assert bad.exit_code == 1 and "c.jsonl: line 2: a JSON array, not an object" in bad.output
    skipped = label(path, "--replace-columns", "--skip-bad-rows")
    assert "skipped 3 bad rows at lines 2, 3, 4" in skipped.stderr
    (obj,) = [pairs(line) for line in skipped.stdout.splitlines()]
    assert [key for key, _ in obj] == ["text", "label", "k", "opinion_probability", "language"]  # replaced where it was
    assert obj[1][1] in ("fact", "opinion") and obj[2] == ("k", 1)
    later = tmp_path / "later.jsonl"
    later.write_text('{"text": "The council met."}\n{"text": "It voted.", "label": "x"}\n', "utf-8")
    message = invoke(["label", str(later)]).output
    assert "later.jsonl: line 2: the object already has a key 'label'; rename the added one (--column label=" in message


def test_jsonl_with_a_bom_and_blank_lines(tmp_path):
    path = tmp_path / "b.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"text": "The council met."}\n\n\n{"text": "It is a disgrace!"}\n')
    out = tmp_path / "out.jsonl"
    result = label(path, "-o", out)
    assert out.read_bytes().startswith(b'\xef\xbb\xbf{"text": "The council met.", "label": "fact"')
    assert "(2 blank lines dropped)" in result.stderr
    empty = tmp_path / "e.jsonl"
    empty.write_text("\n\n", "utf-8")
    assert "is empty: there is no JSON object" in invoke(["label", str(empty)]).output


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=6,
)
TEXT_VALUES = st.one_of(st.none(), st.text(max_size=40),
                        st.sampled_from(["The council met on Tuesday.", "This is a disgrace! It must stop."]))  # fmt: skip


@st.composite
def json_lines(draw):
    """Objects with random keys and values (a text key among them), each written on one line with random
    separators and escaping."""
    objects = []
    for _ in range(draw(st.integers(1, 6))):
        keys = draw(st.lists(st.text(max_size=6).filter(lambda k: k not in ("text", *SENTENCE_COLUMNS)),
                             max_size=4, unique=True))  # fmt: skip  # no added column's name ("end" was drawn)
        members = [(key, draw(json_values)) for key in keys]
        members.insert(draw(st.integers(0, len(members))), ("text", draw(TEXT_VALUES)))
        objects.append(members)
    separators = draw(st.sampled_from([(",", ":"), (", ", ": "), (" , ", " : ")]))
    ascii_only = draw(st.booleans())
    lines = ["{" + separators[0].join(f"{json.dumps(k, ensure_ascii=ascii_only)}{separators[1]}"
             f"{json.dumps(v, ensure_ascii=ascii_only)}" for k, v in members) + "}\n" for members in objects]  # fmt: skip
    return objects, lines


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=json_lines(), chunk_rows=st.integers(1, 3), sentences=st.booleans())
def test_random_json_lines_keep_every_key_and_value(model, data, chunk_rows, sentences):
    objects, lines = data
    out = io.BytesIO()
    options = BatchOptions(format="jsonl", chunk_rows=chunk_rows, jobs=1, sentences=sentences)
    summary = label_file(io.BytesIO("".join(lines).encode("utf-8")), out, model, options)
    assert summary.rows == len(objects)
    written = out.getvalue().decode("utf-8").split("\n")[:-1]  # lines end at \n only (U+0085 is no break)
    added = len(options.added_columns)
    rows = iter(written)
    for members, line in zip(objects, lines, strict=True):
        text = dict(members)["text"] or ""
        count = max(1, len(split_sentences(text, headings=True))) if sentences else 1
        for _ in range(count):
            out_line = next(rows)
            if not sentences:
                assert out_line.startswith(line.rstrip("\n")[:-1])  # the object's text as it was
            out_line += "\n"
            got = pairs(out_line)
            kept = [(key, value) for key, value in pairs(line) if not sentences or key != "text"]  # not the text
            assert got[:-added] == kept  # every other key and value, in order
            assert [key for key, _ in got[:-added]] == [key for key, _ in members if not sentences or key != "text"]
            assert [key for key, _ in got[-added:]] == list(options.added_columns)
    assert next(rows, None) is None


# -- gzip ---------------------------------------------------------------------------------------------------------


def test_gzip_in_and_out_for_every_text_format(tmp_path, jsonl):
    csv_path = tmp_path / "a.csv"
    csv_path.write_text('id,text\n1,"The council met on Tuesday."\n2,It is a disgrace!\n', "utf-8")
    plain = label(csv_path).stdout
    packed = tmp_path / "a.csv.gz"
    packed.write_bytes(gzip.compress(csv_path.read_bytes()))
    assert label(packed).stdout == plain
    out = tmp_path / "out.csv.gz"
    label(packed, "-o", out)
    assert gzip.decompress(out.read_bytes()).decode() == plain
    label(csv_path, "-o", tmp_path / "again.csv.gz")
    assert (tmp_path / "again.csv.gz").read_bytes() == out.read_bytes()  # reproducible: no name, no time stamp
    zipped = tmp_path / "a.jsonl.gz"
    zipped.write_bytes(gzip.compress(jsonl.read_bytes()))
    assert label(zipped, "-o", tmp_path / "o.jsonl.gz").exit_code == 0
    assert gzip.decompress((tmp_path / "o.jsonl.gz").read_bytes()) == label(jsonl).stdout_bytes
    tsv = tmp_path / "a.tsv.gz"
    tsv.write_bytes(gzip.compress(b"text\tn\nThe council met.\t1\n"))
    assert label(tsv).stdout.splitlines()[1].startswith("The council met.\t1\t")
    assert label("-", input=packed.read_bytes()).stdout == plain  # gzip recognised on standard input


def test_damaged_gzip_is_one_line_and_leaves_no_output(tmp_path):
    truncated = tmp_path / "t.csv.gz"
    truncated.write_bytes(gzip.compress(b"text\n" + b"The council met on Tuesday.\n" * 2000)[:-30])
    out = tmp_path / "out.csv"
    result = invoke(["label", str(truncated), "-o", str(out)])
    assert result.exit_code == 1 and "t.csv.gz: the gzip data is truncated" in result.output
    assert not out.exists()
    fake = tmp_path / "f.csv.gz"
    fake.write_text("text\nThe council met.\n", "utf-8")
    assert "is not gzip-compressed, although its name ends in .gz" in invoke(["label", str(fake)]).output


# -- Parquet ------------------------------------------------------------------------------------------------------


@pytest.fixture
def parquet(tmp_path) -> Path:
    table = pa.table(
        {
            "id": pa.array([1, 2, 3, 4], pa.int32()),
            "text": pa.array(TEXTS, pa.large_string()),
            "when": pa.array([None, 1_700_000_000_000, 0, 5], pa.timestamp("ms")),
            "tags": pa.array([["a"], [], None, ["b", "c"]], pa.list_(pa.string())),
            "section": pa.array(["news", "opinion", "news", "news"]).dictionary_encode(),
        },
        metadata={"source": "test"},
    )
    path = tmp_path / "articles.parquet"
    pq.write_table(table, path, row_group_size=2)
    return path


def test_parquet_keeps_schema_and_values_and_types_the_added_columns(parquet, tmp_path):
    out = tmp_path / "out.parquet"
    result = label(parquet, "-o", out, "--chunk-size", "3")
    assert "4 rows: 3 labeled, 1 empty" in result.stderr
    source, labeled = pq.read_table(parquet), pq.read_table(out)
    assert labeled.schema.names == [*source.schema.names, "label", "opinion_probability", "language"]
    for name in source.schema.names:
        assert labeled.schema.field(name) == source.schema.field(name)
        assert labeled.column(name).to_pylist() == source.column(name).to_pylist()
    assert labeled.schema.metadata == source.schema.metadata
    assert labeled.schema.field("label").type == pa.string()
    assert labeled.schema.field("opinion_probability").type == pa.float64()
    assert labeled.column("label").to_pylist() == ["fact", "opinion", None, "fact"]


def test_parquet_sentences_documents_and_keep(parquet, tmp_path):
    out = tmp_path / "s.parquet"
    label(parquet, "--sentences", "--keep", "id,section", "-o", out)
    table = pq.read_table(out)
    assert table.schema.names == ["id", "section", "row", "sentence_index", "start", "end", "sentence", "label",
                                  "opinion_probability", "language"]  # fmt: skip
    assert table.column("id").to_pylist() == [1, 2, 2, 3, 4]
    assert table.schema.field("start").type == pa.int64() and table.schema.field("section").type == pa.dictionary(
        pa.int32(), pa.string()
    )
    docs = tmp_path / "d.parquet"
    label(parquet, "--documents", "-o", docs)
    counts = pq.read_table(docs).column("sentences")
    assert counts.type == pa.int64() and counts.to_pylist() == [1, 2, None, 1]


def test_parquet_to_standard_output_is_csv_and_csv_to_parquet_is_text(parquet, tmp_path):
    rows = list(csv.reader(io.StringIO(label(parquet).stdout)))
    assert rows[0] == ["id", "text", "when", "tags", "section", "label", "opinion_probability", "language"]
    assert rows[2][:5] == ["2", TEXTS[1], "2023-11-14T22:13:20", "[]", "opinion"]
    assert rows[3][1] == "" and rows[3][3] == ""
    source = tmp_path / "a.csv"
    source.write_text('id,text\n007,"The council met on Tuesday."\n,\n', "utf-8")
    out = tmp_path / "a.parquet"
    label(source, "-o", out)
    table = pq.read_table(out)
    assert table.schema.field("id").type == pa.string() and table.column("id").to_pylist() == ["007", ""]
    back = label(out, "--format", "parquet", "--keep", "id", "--sentences").stdout
    assert back.splitlines()[0].startswith("id,row,")


def test_csv_to_jsonl_and_jsonl_to_csv(tmp_path, jsonl):
    source = tmp_path / "a.csv"
    source.write_text('id,text\n007,"The council met, officials said."\n', "utf-8")
    label(source, "-o", tmp_path / "a.jsonl")
    (obj,) = [pairs(line) for line in (tmp_path / "a.jsonl").read_text("utf-8").splitlines()]
    assert obj[:3] == [("id", "007"), ("text", "The council met, officials said."), ("label", "fact")]
    assert obj[3][0] == "opinion_probability" and isinstance(obj[3][1], float)
    out = tmp_path / "b.csv"
    failed = invoke(["label", str(jsonl), "-o", str(out)])
    assert (
        "row 2 has a key 'nested' the first object has not; CSV output needs the first object's keys" in failed.output
    )
    same_keys = tmp_path / "same.jsonl"
    same_keys.write_text("".join(line for line in LINES if "nested" not in line) + "\n", "utf-8")
    label(same_keys, "-o", out)
    rows = list(csv.reader(io.StringIO(out.read_text("utf-8"))))
    assert rows[0] == ["id", "text", "score", "label", "opinion_probability", "language"]
    assert rows[1][2] == "1.5" and rows[2][1:3] == ["", "-0.0"]
    assert rows[3][:3] == ["4", TEXTS[3], "12345678901234567890"]  # by key, not by position


def test_parquet_errors(tmp_path, monkeypatch):
    fake = tmp_path / "f.parquet"
    fake.write_text("text\nhello\n", "utf-8")
    result = invoke(["label", str(fake)])
    assert result.exit_code == 1 and "f.parquet: not a readable Parquet file" in result.output
    numbers = tmp_path / "n.parquet"
    pq.write_table(pa.table({"text": [1, 2]}), numbers)
    assert "the column 'text' holds int64, not text" in invoke(["label", str(numbers)]).output
    renamed = tmp_path / "data.bin"
    renamed.write_bytes(numbers.read_bytes())
    assert "is a Parquet file: name it .parquet or give --format parquet" in invoke(["label", str(renamed)]).output
    with open(numbers, "rb") as f, pytest.raises(DataError, match="not from a pipe"):
        label_file(Unseekable(f), io.BytesIO(), load_model(), BatchOptions(format="parquet"))
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    missing = invoke(["label", str(numbers)])
    assert missing.exit_code == 1
    assert missing.output == "Error: Parquet needs pyarrow: pip install 'factopinion[parquet]'\n"


class Unseekable(io.RawIOBase):
    """A pipe's view of a file: read only, front to back."""

    def __init__(self, f):
        self._f = f

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self._f.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def test_label_file_picks_the_format_by_extension_from_python(tmp_path):
    model = load_model()
    jsonl = tmp_path / "same-keys.jsonl"
    jsonl.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(TEXTS)), "utf-8")
    out = tmp_path / "out.parquet"
    summary = label_file(jsonl, out, model, BatchOptions(documents=True, keep=("id",)))
    assert summary.rows == 4 and summary.sentences == 4
    assert pq.read_table(out).schema.names == ["id", *BatchOptions(documents=True).added_columns]
    tsv = tmp_path / "a.tsv"
    tsv.write_text("n\ttext\n1\tThe council met.\n", "utf-8")
    label_file(tsv, tmp_path / "b.tsv", model)
    assert (tmp_path / "b.tsv").read_text("utf-8").splitlines()[0] == "n\ttext\tlabel\topinion_probability\tlanguage"
    assert TableFormat("tsv").delimiter(None) == "\t"


# -- a new format: one module and one registry line ---------------------------------------------------------------

PSV_MODULE = '''"""Pipe-separated values: the delimited format's reader and sink with another delimiter."""
from factopinion.tables import delimited


def reader(stream, *, name, delimiter, encoding, skip_bad, quoting):
    return delimited.reader(stream, name=name, delimiter=delimiter, encoding=encoding, skip_bad=skip_bad,
                            quoting=quoting)


def sink(stream, columns, reader, *, delimiter, encoding):
    return delimited.sink(stream, columns, reader, delimiter=delimiter, encoding=encoding)
'''
WITH_PSV = """
import sys
sys.path.insert(0, sys.argv.pop(1))
from factopinion.tables.registry import Format, register
register(Format("psv", (".psv",), "PSV", "psvformat", delimiter="|"))  # the one registry line
from factopinion.cli import main
main(sys.argv[1:])
"""


def with_psv(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    (tmp_path / "psvformat.py").write_text(PSV_MODULE, "utf-8")
    command = [sys.executable, "-c", WITH_PSV, str(tmp_path), *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path)


@pytest.mark.slow
def test_a_registered_format_reaches_the_choices_the_help_and_folder_discovery(tmp_path):
    shown = with_psv(tmp_path, "label", "--help")
    assert shown.returncode == 0, shown.stderr
    text = " ".join(shown.stdout.split())
    assert "[csv|tsv|jsonl|parquet|psv]" in text
    assert "INPUT is a CSV, TSV, JSON Lines (.jsonl, .ndjson), Parquet or PSV file, gzipped (.gz) or not" in text
    assert "(a folder: every CSV, TSV, JSON Lines, Parquet and PSV file in it, gzipped or not)" in text

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.psv").write_text("id|text\n1|The mayor said the bridge would reopen.\n", "utf-8")
    with gzip.open(tmp_path / "in" / "b.psv.gz", "wt", encoding="utf-8") as handle:
        handle.write("id|text\n2|What a disgrace this plan is!\n")
    done = with_psv(tmp_path, "label", "in", "--output-dir", "out", "-q")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")) == ["a.psv", "b.psv.gz"]
    first = (tmp_path / "out" / "a.psv").read_text("utf-8").splitlines()
    assert first[0] == "id|text|label|opinion_probability|language" and first[1].startswith("1|The mayor said")
    assert gzip.decompress((tmp_path / "out" / "b.psv.gz").read_bytes()).decode().startswith("id|text|label|")

    into_csv = with_psv(tmp_path, "label", "in/a.psv", "-o", "a.csv")
    assert into_csv.returncode == 0, into_csv.stderr
    assert (
        (tmp_path / "a.csv")
        .read_text("utf-8")
        .startswith("id,text,label,opinion_probability,language\n1,The mayor said")
    )
    (tmp_path / "unnamed").write_bytes((tmp_path / "in" / "a.psv").read_bytes())
    named = with_psv(tmp_path, "label", "unnamed", "--format", "psv", "-q")  # standard output gets the input's format
    assert named.returncode == 0, named.stderr
    assert named.stdout.startswith("id|text|label|opinion_probability|language\n1|The mayor said")
