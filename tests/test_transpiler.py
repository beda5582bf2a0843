"""The DuckDB-to-Spark transpiler (analytics/engines/spark_sql.py) on fixture files of DuckDB SQL
in / Spark SQL out (tests/fixtures/spark_sql/), in sqlglot's style: no Java, no Spark session."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

sqlglot = pytest.importorskip("sqlglot")  # the spark extra

from analytics.engines.spark_sql import to_spark, to_spark_steps  # noqa: E402

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "spark_sql"


@dataclass
class Case:
    name: str
    duckdb: str = ""
    params: dict = field(default_factory=dict)
    spark: list[tuple[str, str]] = field(default_factory=list)  # (step name or "", SQL)


def read_cases(path: Path) -> list[Case]:
    cases: list[Case] = []
    target = None
    for line in path.read_text().splitlines():
        if line.startswith("-- case:"):
            cases.append(Case(line.removeprefix("-- case:").strip()))
            target = "duckdb"
        elif not cases:
            continue  # the file's own header
        elif line.startswith("-- params:"):
            cases[-1].params = json.loads(line.removeprefix("-- params:"))
        elif line.startswith("-- spark"):
            step = re.sub(r"^-- spark( step)?", "", line).strip()
            cases[-1].spark.append((step, ""))
            target = "spark"
        elif line.startswith("--"):
            continue  # a continued case title
        elif target == "duckdb":
            cases[-1].duckdb += line + "\n"
        elif target == "spark":
            step, sql = cases[-1].spark[-1]
            cases[-1].spark[-1] = (step, sql + line + "\n")
    return cases


def normalized(spark_sql: str) -> str:
    return sqlglot.parse_one(spark_sql, read="spark").sql(dialect="spark", pretty=True)


CASES = [case for path in sorted(FIXTURES.glob("*.sql")) for case in read_cases(path)]


def test_the_fixtures_hold_cases():
    assert len(CASES) >= 10
    assert all(case.duckdb.strip() and case.spark for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_duckdb_sql_becomes_the_expected_spark_sql(case: Case):
    if len(case.spark) == 1:
        assert normalized(to_spark(case.duckdb, case.params)) == normalized(case.spark[0][1])
    else:
        got = [(name, normalized(sql)) for name, sql in to_spark_steps(case.duckdb, case.params)]
        assert got == [(name, normalized(sql)) for name, sql in case.spark]


def test_a_parameter_without_a_value_is_one_line():
    from analytics.errors import TradelensError

    with pytest.raises(TradelensError, match=r"^SQL parameter \$rate has no value$"):
        to_spark("SELECT $rate AS r FROM t", {})


def test_every_sql_file_of_a_run_transpiles():
    """Every query a component runs (scripts aside) parses as DuckDB and becomes Spark SQL."""
    from analytics.pipeline import COMPONENTS
    from analytics.warehouse import load_sql

    for component in COMPONENTS:
        for name in component.queries:
            text = load_sql(name)
            if text.count(";") > 1:  # a script (DML the warehouse runs), not engine SQL
                continue
            params = {p: "t" for p in re.findall(r"\$([a-z_]+)", text)}  # any literal
            assert to_spark(text, params), name


def test_a_table_macro_reads_the_relation_its_call_names():
    spark = to_spark(
        "WITH taken AS (SELECT * FROM weight_outcomes) SELECT * FROM cell_days('taken') AS m"
    )
    tree = sqlglot.parse_one(spark, read="spark")
    tables = {t.name for t in tree.find_all(sqlglot.exp.Table)}
    assert {"taken", "weight_outcomes"} <= tables
    assert "query_table" not in spark.lower() and "cell_days(" not in spark.lower()
    assert "GROUP BY cell_id, status" in spark
    assert tree.args["from_"].this.alias == "m"


def test_a_table_macro_argument_must_be_a_relation_name():
    from analytics.errors import TradelensError

    with pytest.raises(TradelensError, match="must name a relation"):
        to_spark("SELECT * FROM cell_days(1)")
