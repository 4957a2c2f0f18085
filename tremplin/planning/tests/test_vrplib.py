from __future__ import annotations

import json
from pathlib import Path

import pytest

from tremplin.planning import bench, engine, vrplib_io

# Six clients around a depot; three vehicles of capacity 10.
SMALL = """NAME : TINY6
COMMENT : written by the test
TYPE : CVRPTW
DIMENSION : 7
VEHICLES : 3
CAPACITY : 10
EDGE_WEIGHT_TYPE : EUC_2D
NODE_COORD_SECTION
1 0 0
2 0 5
3 3 4
4 5 0
5 0 -5
6 -3 -4
7 -5 0
DEMAND_SECTION
1 0
2 3
3 3
4 3
5 3
6 3
7 3
TIME_WINDOW_SECTION
1 0 200
2 0 50
3 0 60
4 10 80
5 0 200
6 0 200
7 100 150
SERVICE_TIME_SECTION
1 0
2 10
3 10
4 10
5 10
6 10
7 10
DEPOT_SECTION
1
-1
EOF
"""

C101 = Path(__file__).resolve().parents[3].parent / "shared" / "bench" / "vrptw" / "C101.vrp"


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "TINY6.vrp"
    path.write_text(SMALL, encoding="utf-8")
    return path


def test_an_instance_is_read_in_dimacs_tenths(small: Path) -> None:
    instance = vrplib_io.read_instance(small)
    assert instance.name == "TINY6"
    assert instance.num_clients == 6
    assert (instance.vehicles, instance.capacity) == (3, 10)
    assert instance.distances[0, 1] == 50
    assert instance.distances[1, 2] == 31  # sqrt(10) = 3.162… truncated to 3.1
    assert instance.tw_late[6] == 1500
    assert instance.service[1] == 100


def test_the_checker_accepts_a_valid_solution_and_costs_it(small: Path) -> None:
    instance = vrplib_io.read_instance(small)
    routes = [[1, 2, 3], [4, 5, 6]]
    assert vrplib_io.check_solution(instance, routes) == []
    assert vrplib_io.route_cost(instance, routes) == pytest.approx(
        5 + 3.1 + 4.4 + 5 + 5 + 3.1 + 4.4 + 5
    )


@pytest.mark.parametrize(
    ("routes", "error"),
    [
        pytest.param([[1, 2, 3, 4], [5, 6]], "capacité", id="overloaded"),
        pytest.param([[6, 2, 1], [3, 4, 5]], "fenêtre", id="late_at_a_client"),
        pytest.param([[1, 2, 3], [4, 5]], "non servi", id="client_missing"),
        pytest.param([[1, 2, 3], [4, 5, 6, 1]], "2 fois", id="client_twice"),
        pytest.param([[1], [2], [3], [4, 5, 6]], "véhicules", id="too_many_routes"),
    ],
)
def test_the_checker_rejects(small: Path, routes: list[list[int]], error: str) -> None:
    instance = vrplib_io.read_instance(small)
    errors = vrplib_io.check_solution(instance, routes)
    assert any(error in message for message in errors), errors


def test_a_solution_file_is_read_and_written(tmp_path: Path) -> None:
    path = tmp_path / "TINY6.sol"
    path.write_text(vrplib_io.write_solution([[1, 2, 3], [4, 5, 6]], 39.0), encoding="utf-8")
    assert vrplib_io.read_solution(path) == ([[1, 2, 3], [4, 5, 6]], 39.0)


def test_a_file_without_time_windows_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cvrp.vrp"
    path.write_text(SMALL.split("TIME_WINDOW_SECTION")[0] + "EOF\n", encoding="utf-8")
    with pytest.raises(vrplib_io.VrplibError, match="fenêtres horaires"):
        vrplib_io.read_instance(path)


def test_the_routing_core_solves_the_small_instance_to_feasibility(small: Path) -> None:
    instance = vrplib_io.read_instance(small)
    routes = engine.solve_vrptw(instance, seconds=0.5, seed=1)
    assert vrplib_io.check_solution(instance, [r for r in routes if r]) == []


def test_the_bench_command_prints_one_json_line(
    small: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    small.with_suffix(".sol").write_text(
        vrplib_io.write_solution([[1, 2, 3], [4, 5, 6]], 35.0), encoding="utf-8"
    )
    assert bench.main([str(small), "--seconds", "1"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert result["instance"] == "TINY6"
    assert result["feasible"] is True
    assert result["cost"] <= 35.0
    assert result["bks"] == 35.0
    assert set(result) >= {"routes", "seconds", "gap_percent"}


def test_the_bench_command_reports_an_unreadable_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.vrp"
    path.write_text("NAME : X\nNODE_COORD_SECTION\n1 0 0\nEOF\n", encoding="utf-8")
    assert bench.main([str(path), "--seconds", "1"]) == 2
    assert "DIMENSION" in capsys.readouterr().err


@pytest.mark.skipif(not C101.exists(), reason="instances de référence absentes")
def test_c101_reaches_its_best_known_solution_in_a_second(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert bench.main([str(C101), "--seconds", "1"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["feasible"] is True
    assert result["gap_percent"] <= 1.0
