from __future__ import annotations

from tremplin.planning.generate import generate_week
from tremplin.planning.problem import MINUTES_PER_DAY


def test_a_seed_always_gives_the_same_week() -> None:
    assert generate_week(10, 80, seed=3) == generate_week(10, 80, seed=3)
    assert generate_week(10, 80, seed=3) != generate_week(10, 80, seed=4)


def test_the_week_has_the_requested_size_and_unique_ids() -> None:
    week = generate_week(30, 500, seed=1)
    assert len(week.workers) == 30
    assert len(week.visits) == 500
    assert len({w.id for w in week.workers}) == 30
    assert len({v.id for v in week.visits}) == 500


def test_windows_fit_in_one_day_and_durations_are_quarter_hours() -> None:
    week = generate_week(30, 500, seed=2)
    for visit in week.visits:
        assert visit.earliest_start <= visit.latest_start
        assert visit.earliest_start // MINUTES_PER_DAY == visit.latest_start // MINUTES_PER_DAY
        assert (visit.latest_start + visit.duration) % MINUTES_PER_DAY <= 20 * 60
        assert visit.duration >= 30 and visit.duration % 15 == 0
        assert visit.location is not None
        assert visit.required_skills


def test_the_work_is_about_the_load_times_the_targets() -> None:
    week = generate_week(40, 700, seed=5, load=0.9)
    work = sum(v.duration for v in week.visits)
    targets = sum(w.weekly_target_minutes for w in week.workers)
    assert 0.85 * targets < work < 0.95 * targets


def test_the_population_is_varied() -> None:
    week = generate_week(150, 2500, seed=0)
    workers = week.workers
    assert 0.5 < sum(w.is_insertion for w in workers) / len(workers) < 0.8
    assert any(w.absences for w in workers)
    assert any(w.mad_cap_minutes is not None and w.mad_cap_minutes < 600 for w in workers)
    assert any(len(w.availability) < 5 for w in workers)  # part-time days off
    assert any(w.weekly_min_minutes > 0 for w in workers)
    assert all(
        w.weekly_min_minutes <= w.weekly_target_minutes <= w.weekly_max_minutes for w in workers
    )
    visits = week.visits
    assert 0.3 < sum(v.usual_worker_id is not None for v in visits) / len(visits) < 0.9
    assert any(v.counts_toward_mad_cap for v in visits)
    assert any(v.required_habilitations for v in visits)
    assert any(v.earliest_start == v.latest_start for v in visits)  # fixed hours
    assert any(v.latest_start - v.earliest_start >= 120 for v in visits)  # wide windows


def test_locks_point_to_the_usual_worker() -> None:
    week = generate_week(50, 800, seed=6, lock_share=0.1)
    visits = {v.id: v for v in week.visits}
    assert week.locks
    for lock in week.locks:
        assert visits[lock.visit_id].usual_worker_id == lock.worker_id
