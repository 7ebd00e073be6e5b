"""Materialised path against closure table for the management chain, on a generated 10,000-person hierarchy.

Prints, for SQLite (in memory, the standard library's driver), the time of "is X under Y", "everyone under Y"
for a director and a VP, the cost of moving a manager with their team, and the rows each layout stores.
Usage: python bench/bench_chain.py [--people 10000]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import time


def hierarchy(people: int, seed: int = 7) -> dict[int, int | None]:
    """1 CEO, 10 VPs, 100 directors, 1,000 managers (at 10,000), engineers under managers: id -> manager id."""
    rng = random.Random(seed)
    manager_of: dict[int, int | None] = {1: None}
    layers = [[1]]
    for size in (10, 100, 1000):
        layer = []
        for _ in range(size):
            pk = len(manager_of) + 1
            manager_of[pk] = rng.choice(layers[-1])
            layer.append(pk)
        layers.append(layer)
    while len(manager_of) < people:
        pk = len(manager_of) + 1
        manager_of[pk] = rng.choice(layers[-1])
    return manager_of


def paths(manager_of: dict[int, int | None]) -> dict[int, str]:
    found: dict[int, str] = {}
    for pk in manager_of:  # managers always have lower ids here
        boss = manager_of[pk]
        found[pk] = f"{found[boss] if boss else '/'}{pk}/"
    return found


def timed(run, repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        run()
    return (time.perf_counter() - start) / repeat * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    people = parser.parse_args().people
    manager_of = hierarchy(people)
    path_of = paths(manager_of)
    db = sqlite3.connect(":memory:")
    db.execute("create table person (id integer primary key, manager_id integer, chain_path varchar(2000))")
    db.execute("create index person_path on person (chain_path)")
    db.execute("create table closure (ancestor integer, descendant integer, primary key (ancestor, descendant))")
    db.execute("create index closure_descendant on closure (descendant, ancestor)")
    db.executemany("insert into person values (?, ?, ?)", [(pk, m, path_of[pk]) for pk, m in manager_of.items()])
    rows = [(int(a), pk) for pk, path in path_of.items() for a in path.strip("/").split("/") if int(a) != pk]
    db.executemany("insert into closure values (?, ?)", rows)
    db.commit()
    vp, director, engineer = 2, 12, people
    manager = manager_of[engineer]
    chain = [int(a) for a in path_of[engineer].strip("/").split("/")]
    vp, director = chain[1], chain[2]

    def path_under(top: int) -> list[tuple[int]]:
        prefix = path_of[top]
        return db.execute("select id from person where chain_path >= ? and chain_path < ? and id != ?",
                          (prefix, prefix[:-1] + "0", top)).fetchall()

    def closure_under(top: int) -> list[tuple[int]]:
        return db.execute("select descendant from closure where ancestor = ?", (top,)).fetchall()

    def path_is_under() -> bool:
        got = dict(db.execute("select id, chain_path from person where id in (?, ?)", (director, engineer)))
        return got[engineer].startswith(got[director])

    def closure_is_under() -> bool:
        return db.execute("select 1 from closure where ancestor = ? and descendant = ?",
                          (director, engineer)).fetchone() is not None

    assert sorted(path_under(vp)) == sorted(closure_under(vp)) and path_is_under() and closure_is_under()
    print(f"{people} people; closure rows {len(rows)}, path column one row per person")
    print(f"is X under Y        path {timed(path_is_under, 2000):8.1f} µs"
          f"   closure {timed(closure_is_under, 2000):8.1f} µs")
    for label, top in (("director", director), ("VP", vp)):
        size = len(path_under(top))
        path_time = timed(lambda top=top: path_under(top), 200)  # type: ignore[misc]
        closure_time = timed(lambda top=top: closure_under(top), 200)  # type: ignore[misc]
        print(f"everyone under {label:<8} ({size:>5})  path {path_time:8.1f} µs   closure {closure_time:8.1f} µs")

    def move_path() -> None:  # a manager and their team move to another director (and back)
        old, new_boss = path_of[manager], path_of[chain[2] + 1 if chain[2] + 1 in path_of else chain[2]]
        new = f"{new_boss}{manager}/"
        for a, b in ((old, new), (new, old)):
            db.execute("update person set chain_path = ? || substr(chain_path, ?) where chain_path >= ? "
                       "and chain_path < ?", (b, len(a) + 1, a, a[:-1] + "0"))

    def move_closure() -> None:
        subtree = [manager] + [d for (d,) in closure_under(manager)]
        marks = ",".join("?" * len(subtree))
        for boss in (director + 1, director):
            db.execute(f"delete from closure where descendant in ({marks}) and ancestor not in ({marks})",
                       subtree + subtree)
            above = [boss] + [a for (a,) in db.execute("select ancestor from closure where descendant = ?", (boss,))]
            db.executemany("insert into closure select ?, descendant from closure where ancestor = ? union all "
                           "select ?, ?", [(a, manager, a, manager) for a in above])

    print(f"move a manager      path {timed(move_path, 50):8.1f} µs   closure {timed(move_closure, 50):8.1f} µs"
          "   (there and back)")


if __name__ == "__main__":
    main()
