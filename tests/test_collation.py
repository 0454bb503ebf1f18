"""People's names sort the way a reader expects: accents and case aside."""

from app.collation import sort_key, sorted_by_name


def test_accented_names_sort_with_their_letters_not_last():
    names = ["Sophie Martin", "Élise Girard", "bernard Petit", "Émile", "Eric", "Zoé", "Ève"]
    assert sorted(names, key=sort_key) == [
        "bernard Petit",
        "Élise Girard",
        "Émile",
        "Eric",
        "Ève",
        "Sophie Martin",
        "Zoé",
    ]


def test_ties_are_broken_by_accents_then_case_so_the_order_is_stable():
    assert sorted(["Élise", "elise", "Elise"], key=sort_key) == ["Elise", "elise", "Élise"]
    # Composed and decomposed forms of the same name sort together.
    assert sort_key("E\u0301lise")[0] == sort_key("Élise")[0]


def test_sorted_by_name_takes_the_name_from_each_item():
    people = [{"name": "Sophie"}, {"name": "Élise"}, {"name": None}]
    assert [p["name"] for p in sorted_by_name(people, lambda p: p["name"])] == [
        None,
        "Élise",
        "Sophie",
    ]
