"""Every text the catalog shows is in the project's own words: no run of nine words of the guide."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from job_library.registry import REGISTRY

# The Focus admin guide sits beside the project, not in it (it is not ours to ship).
GUIDE = Path(__file__).resolve().parents[2].parent / "shared/reference/focus-scheduled-jobs.txt"
RUN = 9  # words: a run of more than eight words in common with the guide is a copy


def words(text: str) -> list[str]:
    """Lower-case words without punctuation: "Job's Store-History." gives job s store history."""
    return re.findall(r"[a-z0-9]+", text.lower())


def runs(words_: list[str], n: int = RUN) -> set[tuple[str, ...]]:
    return {tuple(words_[i : i + n]) for i in range(len(words_) - n + 1)}


def copied_passages(text: str, guide_runs: set[tuple[str, ...]]) -> list[str]:
    """The longest stretches of ``text`` whose every nine-word run is also in the guide."""
    ws = words(text)
    hits = [i for i in range(len(ws) - RUN + 1) if tuple(ws[i : i + RUN]) in guide_runs]
    passages: list[str] = []
    start = end = None
    for i in hits:
        if end is not None and i <= end:  # overlaps the passage so far: extend it
            end = i + RUN
            continue
        if start is not None:
            passages.append(" ".join(ws[start:end]))
        start, end = i, i + RUN
    if start is not None:
        passages.append(" ".join(ws[start:end]))
    return passages


def descriptions(node: object, path: str = "") -> Iterator[tuple[str, str]]:
    """(where, text) for every "description" of a JSON schema, nested models included."""
    if isinstance(node, dict):
        for name, value in node.items():
            if name == "description" and isinstance(value, str):
                yield path or "parameters", value
            else:
                yield from descriptions(value, f"{path}.{name}" if path else name)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from descriptions(value, f"{path}[{i}]")


def shown_texts() -> Iterator[tuple[str, str]]:
    """(where, text) for every description the Jobs screen and the CLI show for a class."""
    for key, cls in REGISTRY.items():
        yield f"{key}: description", cls.description
        for where, text in descriptions(cls.params_model.model_json_schema()):
            yield f"{key}: {where}", text


def test_the_run_finder_catches_a_nine_word_run_and_lets_eight_pass():
    guide = runs(words("Alpha beta gamma delta epsilon zeta eta theta iota kappa lambda."))
    eight = "We say: ALPHA, beta gamma delta epsilon zeta eta theta - and stop."
    nine = "We say: ALPHA, beta gamma delta epsilon zeta eta theta IOTA! then more."
    ten = "alpha beta gamma delta epsilon zeta eta theta iota kappa"
    assert copied_passages(eight, guide) == []
    assert copied_passages(nine, guide) == ["alpha beta gamma delta epsilon zeta eta theta iota"]
    assert copied_passages(ten, guide) == [ten]


def test_the_catalog_covers_every_class_and_its_parameter_descriptions():
    where = [w for w, _ in shown_texts()]
    assert len([w for w in where if w.endswith(": description")]) == len(REGISTRY)
    # Rollover's parameters carry descriptions of their own: they are read too.
    assert any(w.startswith("rollover: properties.") for w in where)


@pytest.mark.skipif(not GUIDE.is_file(), reason=f"the reference guide is not at {GUIDE}")
def test_no_description_shares_more_than_eight_words_in_a_row_with_the_guide():
    guide_runs = runs(words(GUIDE.read_text(encoding="utf-8")))
    copies = [
        f"{where}: {passage!r}"
        for where, text in shown_texts()
        for passage in copied_passages(text, guide_runs)
    ]
    assert copies == [], "say these in the project's own words:\n" + "\n".join(copies)
