"""Three-way merges: what is kept, what conflicts, and how conflicts look."""

from __future__ import annotations

from fastapi_db_scaffold.merge import merge_three_way

BASE = "first\nsecond\nthird\n"


def test_changes_of_both_sides_in_different_places_are_both_kept() -> None:
    merged = merge_three_way("zeroth\n" + BASE, BASE, BASE.replace("third", "3rd"))
    assert merged == merged.__class__("zeroth\nfirst\nsecond\n3rd\n", 0)


def test_lines_both_sides_added_at_one_place_are_kept_yours_first() -> None:
    merged = merge_three_way(BASE + "my notes\n", BASE, BASE + "## New section\n")
    assert merged.conflicts == 0
    assert merged.text == BASE + "my notes\n## New section\n"


def test_a_line_both_sides_changed_is_a_conflict_with_every_version_shown() -> None:
    merged = merge_three_way(
        BASE.replace("second", "mine"), BASE, BASE.replace("second", "theirs")
    )
    assert merged.conflicts == 1
    assert merged.text == (
        "first\n<<<<<<< your version\nmine\n||||||| old template\nsecond\n=======\n"
        "theirs\n>>>>>>> new template\nthird\n"
    )


def test_one_side_unchanged_takes_the_other() -> None:
    assert merge_three_way(BASE, BASE, "new\n").text == "new\n"
    assert merge_three_way("mine\n", BASE, BASE).text == "mine\n"
    assert merge_three_way("same\n", BASE, "same\n").text == "same\n"


def test_labels_name_the_sides() -> None:
    merged = merge_three_way(
        "a\n", "b\n", "c\n", labels=("yours", "template 1.0", "template 2.0")
    )
    assert merged.conflicts == 1
    assert "<<<<<<< yours\n" in merged.text and ">>>>>>> template 2.0\n" in merged.text
