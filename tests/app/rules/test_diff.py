from app.rules.diff import diff_documents


def _paths(before, after):
    return [(c.path, c.before, c.after) for c in diff_documents(before, after)]


def test_equal_documents_have_no_changes():
    document = {"a": {"b": [1, 2, {"c": None}]}, "d": {}}
    assert _paths(document, document) == []


def test_changed_added_and_removed_leaves_are_listed_by_path():
    before = {"x": 1, "nested": {"keep": True, "drop": "old", "list": [1, 2, 3]}}
    after = {"x": 2, "nested": {"keep": True, "list": [1, 5], "new": {"deep": 7}}}
    assert _paths(before, after) == [
        ("x", 1, 2),
        ("nested.drop", "old", None),
        ("nested.list.1", 2, 5),
        ("nested.list.2", 3, None),
        ("nested.new.deep", None, 7),
    ]


def test_type_changes_count_but_int_and_float_of_equal_value_do_not():
    assert _paths({"a": 1, "b": 1}, {"a": 1.0, "b": True}) == [("b", 1, True)]
    assert _paths({"bounds": {"m": 1.5}}, {"bounds": None}) == [("bounds", {"m": 1.5}, None)]
