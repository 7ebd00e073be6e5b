"""Reading decision tables from CSV, and every bad input it refuses."""

import pytest

from brightline.core.fairness import (
    DUPLICATE_COLUMN,
    EMPTY_FILE,
    FAVOURABLE_VALUE_ABSENT,
    HEADER_ONLY,
    MISSING_COLUMN,
    NOT_UTF8,
    RAGGED_ROW,
    FairnessInputError,
    audit_outcomes_csv,
)


def write(tmp_path, content, name="decisions.csv"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def audit(path, **options):
    arguments = {"outcome_column": "outcome", "favourable": "promoted", "group_columns": "sex"} | options
    return audit_outcomes_csv(path, **arguments)


TABLE = "sex,outcome\n" + "F,promoted\n" * 3 + "F,held\n" * 3 + "M ,promoted\n" * 4 + "M ,held\n" * 2 + ",held\n"


def test_it_audits_a_csv_keeping_values_exactly(tmp_path):
    result = audit(write(tmp_path, TABLE), min_cohort=1)
    assert [(group.group, group.n, group.favourable) for group in result.groups] == [
        ("F", 6, 3),
        ("M ", 6, 4),
        ("not disclosed", 1, 0),
    ]


def test_it_drops_a_byte_order_mark_from_the_first_column_name(tmp_path):
    result = audit(write(tmp_path, b"\xef\xbb\xbf" + TABLE.encode()), min_cohort=1)
    assert result.group_columns == ("sex",)


def test_it_reads_quoted_fields_with_commas_and_newlines(tmp_path):
    content = 'sex,outcome\n"F, self-described",promoted\n"multi\nline",held\n'
    result = audit(write(tmp_path, content), min_cohort=1)
    assert {group.group for group in result.groups} == {"F, self-described", "multi\nline"}


def test_it_names_a_missing_column_and_lists_the_header(tmp_path):
    path = write(tmp_path, TABLE)
    with pytest.raises(FairnessInputError) as error:
        audit(path, group_columns=["Sex"])
    assert str(error.value) == MISSING_COLUMN.format(column="Sex", source=str(path), available="'sex', 'outcome'")


def test_it_lists_the_outcome_values_seen_when_the_favourable_value_is_absent(tmp_path):
    with pytest.raises(FairnessInputError) as error:
        audit(write(tmp_path, TABLE), favourable="Promoted")
    assert str(error.value) == FAVOURABLE_VALUE_ABSENT.format(
        favourable="'Promoted'", column="outcome", seen="'held', 'promoted'"
    )


@pytest.mark.parametrize("content", ["", "\n\n", b"\xef\xbb\xbf"])
def test_it_refuses_an_empty_file(tmp_path, content):
    path = write(tmp_path, content)
    with pytest.raises(FairnessInputError) as error:
        audit(path)
    assert str(error.value) == EMPTY_FILE.format(path=path)


def test_it_refuses_a_header_without_rows(tmp_path):
    path = write(tmp_path, "sex,outcome\n")
    with pytest.raises(FairnessInputError) as error:
        audit(path)
    assert str(error.value) == HEADER_ONLY.format(path=path)


def test_it_refuses_a_file_that_is_not_utf8(tmp_path):
    path = write(tmp_path, "sex,outcome\nFrançoise,promoted\n".encode("latin-1"))
    with pytest.raises(FairnessInputError) as error:
        audit(path)
    assert str(error.value) == NOT_UTF8.format(path=path, offset=16)


def test_it_refuses_a_row_with_the_wrong_number_of_fields(tmp_path):
    path = write(tmp_path, "sex,outcome\nF,promoted\nM,held,extra\n")
    with pytest.raises(FairnessInputError) as error:
        audit(path)
    assert str(error.value) == RAGGED_ROW.format(line=3, path=path, found=3, expected=2)


def test_it_refuses_a_repeated_column_name(tmp_path):
    path = write(tmp_path, "sex,outcome,sex\nF,promoted,F\n")
    with pytest.raises(FairnessInputError) as error:
        audit(path)
    assert str(error.value) == DUPLICATE_COLUMN.format(column="sex", path=path)
