"""The one form of a field's name in errors."""

from __future__ import annotations

import pytest

from bersama.errors import field_path


@pytest.mark.parametrize(("parts", "name"), [
    (("values", 0), "values[0]"),
    (("items", 2, "text"), "items[2].text"),
    (("mapping", "phone"), "mapping.phone"),
    ((0,), "[0]"),
    (("objects", 1, 0), "objects[1][0]"),
    (("", "country"), "country"),
    (("objects", "0", ""), "objects.0"),
    ((), ""),
])
def test_names_are_dotted_with_list_indices_in_brackets(
        parts: tuple[str | int, ...], name: str) -> None:
    assert field_path(*parts) == name
