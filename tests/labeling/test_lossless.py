"""Losslessness of batch labeling: random tables round-trip exactly (compared with the csv module, not pandas)."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factopinion import load_model
from factopinion.labeling.batch import BatchOptions, label_stream

SPECIAL = ["", "007", "NA", "null", "NULL", "None", "nan", "1e5", "-0", "0x1F", " ", '"', '""', ",", "\t", "\n",
           "\r\n", "\r", "a,b", 'say "hi"', "multi\nline\r\ntext", "  padded  ", "=1+2", "\ufeffbom", "é ü 中文 🙂",
           "The council met on Tuesday.", "This is a disgrace and it must stop!"]  # fmt: skip


@pytest.fixture(scope="module")
def model():
    return load_model()


cells = st.one_of(st.sampled_from(SPECIAL), st.text(max_size=30))


@st.composite
def tables(draw):
    """A header (with a 'text' column) and rows of random cells, the text written by hand with random quoting,
    delimiter, line terminator and byte-order mark."""
    width = draw(st.integers(1, 5))
    names = draw(st.lists(st.text(min_size=1, max_size=8), min_size=width - 1, max_size=width - 1, unique=True))
    names = [n for n in names if n not in ("text", "label", "opinion_probability", "language")]
    position = draw(st.integers(0, len(names)))
    header = [*names[:position], "text", *names[position:]]
    rows = draw(st.lists(st.lists(cells, min_size=len(header), max_size=len(header)), max_size=8))
    delimiter = draw(st.sampled_from([",", "\t", ";", "|"]))
    terminator = draw(st.sampled_from(["\n", "\r\n"]))
    lines = []
    for row in [header, *rows]:
        out = []
        for cell in row:
            must = any(c in cell for c in (delimiter, '"', "\r", "\n")) or (len(row) == 1 and cell == "")
            out.append('"' + cell.replace('"', '""') + '"' if must or draw(st.booleans()) else cell)
        lines.append(delimiter.join(out) + terminator)
    text = "".join(lines)
    if draw(st.booleans()):
        text = text[: -len(terminator)]  # no line break at the very end
    bom = draw(st.booleans())
    return header, rows, delimiter, text, bom


def parse(text: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))


@pytest.mark.slow
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=tables(), chunk_rows=st.integers(1, 4))
def test_random_tables_round_trip_exactly(model, table, chunk_rows):
    header, rows, delimiter, text, bom = table
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    out = io.BytesIO()
    # quoting="csv": the table is written with CSV quoting; in a TSV file that quoting can be ambiguous (a quoted
    # multi-line cell of a one-column file), so auto would rightly read it literally.
    options = BatchOptions(delimiter=delimiter, text_column="text", chunk_rows=chunk_rows, jobs=1, quoting="csv")
    summary = label_stream(io.BytesIO(data), out, model, options)
    written = out.getvalue()
    assert written.startswith(b"\xef\xbb\xbf") == bom
    result = parse(written.decode("utf-8-sig"), delimiter)
    assert parse(text, delimiter) == [header, *rows]  # the generated input is what we meant
    assert result[0] == [*header, "label", "opinion_probability", "language"]
    assert [row[:-3] for row in result[1:]] == rows  # every cell, column and row exactly as it was
    assert summary.rows == len(rows)
    column = header.index("text")
    for row, out_row in zip(rows, result[1:], strict=True):
        label, probability, language = out_row[-3:]
        assert language != "" or not row[column].split()
        if row[column].strip() and label:  # (a row identified as another language is left unscored)
            assert label in ("fact", "opinion") and 0 <= float(probability) <= 1
        else:
            assert (label, probability) == ("", "")


def test_the_input_part_of_each_record_is_byte_for_byte_the_input(model):
    data = b'id,"text",n\r\n"1","He said ""no"", then left.",007\r\n2,"two\r\nlines",  1e5  \r\n3,,"NA"\r\n'
    out = io.BytesIO()
    label_stream(io.BytesIO(data), out, model)
    text = out.getvalue().decode()
    records = ['id,"text",n', '"1","He said ""no"", then left.",007', '2,"two\r\nlines",  1e5  ', '3,,"NA"']
    remaining = text
    for record in records:
        assert remaining.startswith(record + ",")  # original quoting, spacing and cells kept
        remaining = remaining[remaining.index("\r\n", len(record)) + 2 :]
    assert remaining == ""
    assert text.count("\r\n") == 5  # the header's \r\n terminator, and the one inside the quoted cell


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.one_of(st.sampled_from(SPECIAL), st.text(max_size=200)), min_size=1, max_size=6))
def test_sentence_offsets_slice_back_to_the_cell(model, texts):
    source = io.StringIO(newline="")
    csv.writer(source, lineterminator="\r\n").writerows([["id", "text"], *[[str(i), t] for i, t in enumerate(texts)]])
    out = io.BytesIO()
    options = BatchOptions(sentences=True, jobs=1, keep=("id", "text"))  # the text kept, to slice it
    label_stream(io.BytesIO(source.getvalue().encode()), out, model, options)
    result = parse(out.getvalue().decode(), ",")
    header = result[0]
    assert header == [
        "id",
        "text",
        "row",
        "sentence_index",
        "start",
        "end",
        "sentence",
        "label",
        "opinion_probability",
        "language",
    ]
    seen_rows = []
    for row in result[1:]:
        record = dict(zip(header, row, strict=True))
        seen_rows.append(int(record["row"]))
        cell = texts[int(record["id"])]
        assert record["text"] == cell
        if record["sentence_index"] == "":
            assert not cell.strip() or record["sentence"] == ""
            continue
        assert cell[int(record["start"]) : int(record["end"])] == record["sentence"]
        assert record["label"] in ("fact", "opinion")
    assert sorted(set(seen_rows)) == list(range(1, len(texts) + 1))  # every input row is accounted for


def test_a_long_cell_of_many_sentences_is_parsed_once_however_many_rows_it_makes(model, monkeypatch):
    # --sentences on one long cell: its sentence rows are formatted a budget at a time, the record parsed once,
    # so the work grows with the cell, not with the cell times its sentences
    parses: list[int] = []
    reader = csv.reader

    def counting(lines, *args, **kwargs):
        if isinstance(lines, io.StringIO):
            parses.append(len(lines.getvalue()))
        return reader(lines, *args, **kwargs)

    monkeypatch.setattr(csv, "reader", counting)
    whole = []  # per size: the reads of the whole record (the reader's, and the one the rows are formatted from)
    for n in (500, 2000):
        parses.clear()
        text = " ".join(f"The council met on day {i} and approved the budget." for i in range(n))
        out = io.BytesIO()
        label_stream(io.BytesIO(f'id,text\nx,"{text}"\n'.encode()), out, model, BatchOptions(sentences=True, jobs=1))
        rows = list(csv.DictReader(io.StringIO(out.getvalue().decode(), newline="")))
        assert [row["sentence_index"] for row in rows] == [str(i) for i in range(n)]
        whole.append(sum(1 for size in parses if size >= len(text)))
    assert whole[1] == whole[0] <= 2, whole


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_a_pool_of_workers_writes_what_one_process_writes(model, encoding):
    """The workers encode the text they format where the output is UTF-8 (the main process writes their bytes), the
    main process encodes it in other encodings: either way a pool writes the same bytes as one process, over many
    chunks, with the input's byte-order mark once at the start."""
    rows = [["id", "text", "note"]] + [
        [str(i), f"Café “{i}” said the plan is reckless, frankly.", "é, ü"] for i in range(600)
    ]
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    data = buffer.getvalue().encode(encoding)
    outputs = {}
    for jobs in (1, 2):
        sink = io.BytesIO()
        label_stream(io.BytesIO(data), sink, model, BatchOptions(jobs=jobs, chunk_rows=50, encoding=encoding))
        outputs[jobs] = sink.getvalue()
    assert outputs[2] == outputs[1]
    text = outputs[2].decode(encoding)
    assert text.count("\ufeff") == 0 and len(text.splitlines()) == 601  # one mark at most, read by the codec
    assert text.splitlines()[1].startswith('0,"Café “0” said the plan is reckless, frankly.","é, ü",opinion,0.')
