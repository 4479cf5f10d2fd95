"""The rubric's rules for points and decisions, as pure functions: no database, no course
package (the review tests in test_review.py run them through the tutor's page)."""

import pytest

from app.capstones.models import Decision
from app.capstones.services import InvalidReview, check_decision, score_levels

RUBRIC = {
    "pass_threshold": 6,
    "criteria": [
        {"title": {"es": "Análisis"}, "levels": [
            {"title": {"es": "Inicial"}, "description": {"es": "Poco"}, "points": 0},
            {"title": {"es": "Bueno"}, "description": {"es": "Bien"}, "points": 2},
            {"description": {"es": "Sin título"}, "points": 4},
        ]},
        {"title": {"es": "Plan"}, "levels": [
            {"title": {"es": "No"}, "description": {"es": "—"}, "points": 0},
            {"title": {"es": "Sí"}, "description": {"es": "—"}, "points": 3},
        ]},
    ],
}  # fmt: skip


def test_points_are_the_sum_of_the_levels_chosen_and_each_score_is_kept_whole():
    scores, points = score_levels(RUBRIC, [2, 1])
    assert points == 7
    assert scores == [
        {"criterion": {"es": "Análisis"}, "level": {"es": "Sin título"}, "points": 4},
        {"criterion": {"es": "Plan"}, "level": {"es": "Sí"}, "points": 3},
    ]
    assert score_levels(RUBRIC, [0, 0])[1] == 0


@pytest.mark.parametrize(
    "levels",
    [[], [1], [1, 1, 1], [3, 0], [0, 2], [-1, 0], ["1", 0], [1.0, 0], [True, 0], [None, 0]],
)
def test_every_criterion_needs_one_of_its_levels(levels):
    with pytest.raises(InvalidReview):
        score_levels(RUBRIC, levels)


def test_a_pass_needs_the_pass_mark():
    check_decision(Decision.PASS, 6, 6, versions=1, attempts=2)  # at the mark
    with pytest.raises(InvalidReview):
        check_decision(Decision.PASS, 5, 6, versions=1, attempts=2)
    check_decision(Decision.NOT_PASSED, 0, 6, versions=2, attempts=2)  # always possible


def test_a_revision_needs_an_attempt_left():
    check_decision(Decision.REVISE, 0, 6, versions=1, attempts=2)
    for versions in (2, 3):
        with pytest.raises(InvalidReview):
            check_decision(Decision.REVISE, 0, 6, versions=versions, attempts=2)
