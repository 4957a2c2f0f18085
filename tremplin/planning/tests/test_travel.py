from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tremplin.planning.problem import Location
from tremplin.planning.travel import MatrixTravel, SpeedModel, haversine_km

NIORT = Location(46.3237, -0.4588)


def test_haversine_paris_lyon() -> None:
    assert haversine_km(Location(48.8566, 2.3522), Location(45.7640, 4.8357)) == pytest.approx(
        392, abs=2
    )


@pytest.mark.parametrize(
    ("road_km", "minutes"),
    [
        pytest.param(0.0, 0.0, id="nothing"),
        pytest.param(2.0, 6.0, id="in_town"),  # 2 km at 20 km/h
        pytest.param(3.0, 9.0, id="end_of_town_band"),
        pytest.param(10.0, 19.5, id="departmental_roads"),  # 9 + 7 km at 40 km/h
        pytest.param(28.0, 39.0, id="main_roads"),  # 9 + 18 + 13 km at 65 km/h
    ],
)
def test_speed_bands(road_km: float, minutes: float) -> None:
    assert SpeedModel().road_minutes(road_km) == pytest.approx(minutes)


def test_minutes_are_rounded_up_and_zero_for_the_same_place() -> None:
    model = SpeedModel()
    east = Location(
        NIORT.lat, NIORT.lon + 0.05
    )  # 3.84 km as the crow flies, 4.99 road km, 11.99 min
    road_km = haversine_km(NIORT, east) * 1.3
    assert model.minutes(NIORT, east) == math.ceil(model.road_minutes(road_km)) == 12
    assert model.minutes(NIORT, NIORT) == 0


points = st.builds(
    Location,
    st.floats(min_value=46.1, max_value=46.5),
    st.floats(min_value=-0.7, max_value=-0.2),
)


@settings(max_examples=60, deadline=None)
@given(points, points, points)
def test_symmetric_and_triangle_inequality_within_rounding(
    a: Location, b: Location, c: Location
) -> None:
    model = SpeedModel()
    assert model.minutes(a, b) == model.minutes(b, a)
    assert model.minutes(a, c) <= model.minutes(a, b) + model.minutes(b, c) + 1


@settings(max_examples=20, deadline=None)
@given(st.lists(points, min_size=1, max_size=8))
def test_the_matrix_matches_pairwise_minutes(locations: list[Location]) -> None:
    model = SpeedModel()
    expected = [[model.minutes(a, b) for b in locations] for a in locations]
    assert model.matrix(locations).tolist() == expected


def test_longer_trips_never_take_less_time() -> None:
    model = SpeedModel()
    times = [model.road_minutes(km / 10) for km in range(600)]
    assert times == sorted(times)


def test_a_matrix_backed_model_reads_its_matrix() -> None:
    a, b, c = NIORT, Location(46.4, -0.4), Location(46.2, -0.5)
    travel = MatrixTravel([a, b, c], np.array([[0, 7, 9], [8, 0, 4], [9, 5, 0]]))
    assert travel.minutes(a, b) == 7
    assert travel.minutes(b, a) == 8
    assert travel.matrix([c, a]).tolist() == [[0, 9], [9, 0]]
    with pytest.raises(KeyError, match="absent de la matrice"):
        travel.minutes(a, Location(0, 0))


def test_a_matrix_of_the_wrong_size_or_sign_is_refused() -> None:
    with pytest.raises(ValueError, match="taille"):
        MatrixTravel([NIORT], np.zeros((2, 2)))
    with pytest.raises(ValueError, match="négatif"):
        MatrixTravel([NIORT, Location(1, 1)], np.array([[0, -1], [1, 0]]))
