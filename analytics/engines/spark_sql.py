"""DuckDB SQL from sql/ as Spark SQL: the one place where the two dialects meet.

The SQL files stay the single definition of every computation. sqlglot parses them as DuckDB and
writes Spark; what it cannot translate by itself is rewritten here on the syntax tree:
  - `$name` parameters become literals (floats as DOUBLE: a bare 0.5 is DECIMAL in Spark),
  - the DuckDB macros of sql/ (MACRO_FILES) are expanded in place: scalar macros as
    expressions, table macros (`FROM cell_metrics('cells', 'outcomes')`) as subqueries over
    the relations their `query_table` arguments name,
  - ASOF JOIN, which Spark lacks, becomes a window over the union of both sides (see _asof),
  - list functions and 1-based list indexing get their Spark spelling,
  - warehouse tables `schema.table` read the views `schema__table` the engine registers.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping

import sqlglot
from sqlglot import exp

from analytics.engines import MACRO_FILES
from analytics.errors import TradelensError
from analytics.warehouse import load_sql


def to_spark(sql: str, params: Mapping[str, object] | None = None) -> str:
    """Spark SQL for one DuckDB statement of ours, `params` bound as literals."""
    return _spark_tree(sql, params).sql(dialect="spark")


def to_spark_steps(sql: str, params: Mapping[str, object] | None = None) -> list[tuple[str, str]]:
    """The query as (view name, Spark SQL) steps: first each CTE that is used more than once
    and computes a window, then the query itself (name ""). Spark inlines a CTE wherever it is
    used, so the replay's ASOF window would otherwise be computed once per use; DuckDB
    computes it once."""
    tree = _spark_tree(sql, params)
    with_ = tree.args.get("with_")
    if with_ is None:
        return [("", tree.sql(dialect="spark"))]
    steps, kept = [], []
    for cte in list(with_.expressions):
        uses = sum(1 for t in tree.find_all(exp.Table) if t.name == cte.alias and not t.db)
        if uses > 1 and cte.this.find(exp.Window):
            query = cte.this.copy()
            if kept:
                query.set("with_", exp.With(expressions=[c.copy() for c in kept]))
            steps.append((cte.alias, query.sql(dialect="spark")))
            cte.pop()  # the query reads the view of that name instead
        else:
            kept.append(cte)
    if not with_.expressions:
        tree.set("with_", None)
    return [*steps, ("", tree.sql(dialect="spark"))]


def _spark_tree(sql: str, params: Mapping[str, object] | None) -> exp.Expression:
    tree = sqlglot.parse_one(sql, read="duckdb")
    tree = _bind_params(tree, params or {})
    tree = _expand_macros(tree)
    tree = tree.transform(_spark_functions)
    for join in list(tree.find_all(exp.Join)):
        if join.args.get("method") and join.args["method"].upper() == "ASOF":
            _asof(join)
    return tree.transform(_warehouse_table)


def _bind_params(tree: exp.Expression, params: Mapping[str, object]) -> exp.Expression:
    def bind(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and node.name:
            if node.name not in params:
                raise TradelensError(f"SQL parameter ${node.name} has no value")
            return _literal(params[node.name])
        return node

    return tree.transform(bind)


def _literal(value: object) -> exp.Expression:
    if isinstance(value, list | tuple):
        return exp.Array(expressions=[_literal(v) for v in value])
    if isinstance(value, bool) or value is None:
        return exp.Boolean(this=value) if value is not None else exp.Null()
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return exp.cast(exp.Literal.string(str(value)), "DOUBLE")
        return exp.cast(exp.Literal.number(repr(value)), "DOUBLE")
    return exp.Literal.string(str(value))


@functools.cache
def _macros() -> dict[str, tuple[list[str], exp.Expression]]:
    """name → (parameter names, body) of every `CREATE MACRO` in MACRO_FILES."""
    macros = {}
    for name in MACRO_FILES:
        for statement in sqlglot.parse(load_sql(name), read="duckdb"):
            if isinstance(statement, exp.Create) and str(statement.kind).upper() == "MACRO":
                udf = statement.this
                params = [p.name for p in udf.expressions]
                macros[udf.this.name.lower()] = (params, statement.expression)
    return macros


def _expand_macros(tree: exp.Expression) -> exp.Expression:
    macros = _macros()

    def expand(node: exp.Expression) -> exp.Expression:
        if _is_call(node, macros):
            return _inline_table_macro(node, *macros[node.this.name.lower()])
        if isinstance(node, exp.Anonymous) and node.name.lower() in macros:
            names, body = macros[node.name.lower()]
            args = {n: a for n, a in zip(names, node.expressions, strict=True)}
            inlined = body.copy().transform(
                lambda n: (
                    exp.paren(args[n.name].copy())
                    if isinstance(n, exp.Column) and not n.table and n.name in args
                    else n
                )
            )
            return _expand_macros(inlined)  # a macro may call another
        return node

    return tree.transform(expand)


def _is_call(node: exp.Expression, macros: dict) -> bool:
    """`FROM macro(...)`: a table macro in a FROM or JOIN."""
    return (
        isinstance(node, exp.Table)
        and isinstance(node.this, exp.Anonymous)
        and node.this.name.lower() in macros
    )


def _inline_table_macro(call: exp.Table, names: list[str], body: exp.Expression) -> exp.Expression:
    """The macro's query as a subquery, each `query_table(param)` reading the relation whose
    name the call passed (a string literal: parameters are bound before macros expand)."""
    relations = {}
    for name, arg in zip(names, call.this.expressions, strict=True):
        if not (isinstance(arg, exp.Literal) and arg.is_string):
            raise TradelensError(f"a table macro's argument {name} must name a relation")
        relations[name] = arg.this

    def relation(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Anonymous):
            func = node.this
            if func.name.lower() == "query_table":
                [param] = func.expressions
                return exp.Table(
                    this=exp.to_identifier(relations[param.name]), alias=node.args.get("alias")
                )
        return node

    inlined = _expand_macros(body.copy().transform(relation))  # a macro may call another
    alias = call.args.get("alias") or exp.TableAlias(this=exp.to_identifier(call.this.name))
    return exp.Subquery(this=inlined, alias=alias)


def _spark_functions(node: exp.Expression) -> exp.Expression:
    """DuckDB functions without a Spark twin that sqlglot knows of."""
    if isinstance(node, exp.Anonymous):
        name = node.name.lower()
        args = node.expressions
        if name == "to_microseconds":  # an interval of n µs
            seconds = exp.Div(
                this=exp.cast(exp.paren(args[0]), "DECIMAL(38, 6)"),
                expression=exp.Literal.number(1_000_000),
            )
            zero = [exp.Literal.number(0) for _ in range(3)]
            return exp.func("make_dt_interval", *zero, seconds)
        if name == "list_dot_product":  # Σ aᵢ·bᵢ
            return sqlglot.parse_one(
                "aggregate(zip_with(a, b, (x, y) -> x * y), CAST(0 AS DOUBLE), (s, v) -> s + v)",
                read="spark",
            ).transform(lambda n: {"a": args[0], "b": args[1]}.get(n.name, n) if _bare(n) else n)
    if isinstance(node, exp.PercentileCont) and isinstance(node.expression, exp.Array):
        # quantile_cont(x, [q…]): Spark's exact percentile interpolates the same way
        return exp.func("percentile", node.this, node.expression)
    if isinstance(node, exp.Length) and isinstance(node.this, exp.ArrayFilter | exp.Array):
        return exp.func("size", node.this)
    if isinstance(node, exp.Bracket) and isinstance(node.this, exp.Array):
        # DuckDB lists are 1-based like element_at; Spark's [] is 0-based. sqlglot stores a
        # literal DuckDB index already made 0-based, an expression as written.
        [index] = node.expressions
        if isinstance(index, exp.Literal) and not index.is_string:
            index = exp.Literal.number(int(index.this) + 1)
        return exp.func("element_at", node.this, index)
    return node


def _bare(node: exp.Expression) -> bool:
    return isinstance(node, exp.Column) and not node.table and node.name in ("a", "b")


def _warehouse_table(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Table) and node.args.get("db"):
        alias = node.args.get("alias") or exp.TableAlias(this=exp.to_identifier(node.name))
        return exp.Table(
            this=exp.to_identifier(f"{node.args['db'].name}__{node.name}"), alias=alias
        )
    return node


# ASOF JOIN: for each left row, the right row of the same key with the greatest time <= the
# left row's time. Spark has no such join, so both sides go into one union ordered by time,
# right rows first on equal times (<= includes them), and each left row takes the last right
# row seen so far: `last(right, true)` over a running window. No per-row lookups: one sort.
#
# The window is partitioned by key (the symbol) and by time bucket (ASOF_BUCKET_DAYS of the
# row's time), so one symbol with years of bars is spread over many tasks. A bucket starts
# with a carried-in copy of the last right row of the buckets before it (found on per-bucket
# maxima, a small window), so a lookup whose bar lies in an earlier bucket, however old, still
# finds it: the result is exactly the unpartitioned one.
ASOF_BUCKET_DAYS = 7


def _asof(join: exp.Join) -> None:
    select = join.parent
    left = select.args["from_"].this
    right = join.this
    keys, (right_time, left_time) = _asof_condition(join.args["on"], left.alias_or_name)
    left_alias, right_alias = left.alias_or_name, right.alias_or_name
    k = ", ".join(f"__k{i}" for i in range(len(keys)))
    left_keys = ", ".join(f"{lk} AS __k{i}" for i, (lk, _) in enumerate(keys))
    right_keys = ", ".join(f"{rk} AS __k{i}" for i, (_, rk) in enumerate(keys))

    def bucket(t: str) -> str:
        days = f"datediff(CAST({t} AS DATE), DATE '1970-01-01')"
        return f"CAST(floor({days} / {ASOF_BUCKET_DAYS}) AS BIGINT)"

    union = f"""
        SELECT __left AS {left_alias}, __right AS {right_alias}
        FROM (
            SELECT __side, __left, last(__right, true) OVER (
                PARTITION BY {k}, __bucket ORDER BY __t, __side
                ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS __right
            FROM (
                SELECT {left_keys}, {left_time} AS __t, {bucket(left_time)} AS __bucket,
                       1 AS __side, struct({left_alias}.*) AS __left, NULL AS __right
                FROM __LEFT__
                UNION ALL
                SELECT {right_keys}, {right_time} AS __t, {bucket(right_time)} AS __bucket,
                       0 AS __side, NULL AS __left, struct({right_alias}.*) AS __right
                FROM __RIGHT__
                UNION ALL
                SELECT {k}, __carry.t AS __t, __bucket, 0 AS __side, NULL AS __left,
                       __carry.row AS __right
                FROM (
                    SELECT {k}, __bucket, last(__last, true) OVER (
                        PARTITION BY {k} ORDER BY __bucket
                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS __carry
                    FROM (
                        SELECT {k}, __bucket, max_by(named_struct('t', __t, 'row', __row), __t)
                            AS __last
                        FROM (
                            SELECT {right_keys}, {right_time} AS __t,
                                   {bucket(right_time)} AS __bucket,
                                   struct({right_alias}.*) AS __row
                            FROM __RIGHT__
                            UNION ALL
                            SELECT DISTINCT {left_keys}, NULL AS __t,
                                   {bucket(left_time)} AS __bucket, NULL AS __row
                            FROM __LEFT__
                        )
                        GROUP BY {k}, __bucket
                    )
                )
                WHERE __carry IS NOT NULL
            )
        )
        WHERE __side = 1
    """
    tree = sqlglot.parse_one(union, read="spark")
    tree = tree.transform(
        lambda n: (
            left.copy()
            if isinstance(n, exp.Table) and n.name == "__LEFT__"
            else right.copy()
            if isinstance(n, exp.Table) and n.name == "__RIGHT__"
            else n
        )
    )
    select.set("from_", exp.From(this=exp.Subquery(this=tree, alias=exp.TableAlias(
        this=exp.to_identifier("__asof")))))  # fmt: skip
    select.set("joins", [j for j in select.args["joins"] if j is not join] or None)


def _asof_condition(on: exp.Expression, left_alias: str) -> tuple[list[tuple[str, str]], tuple]:
    """Equality keys as (left, right) SQL and the (right time, left time) of the one `<=`."""
    keys, times = [], None
    for term in on.flatten() if isinstance(on, exp.And) else [on]:
        a, b = term.this, term.expression
        a_left = a.table == left_alias
        if isinstance(term, exp.EQ):
            left, right = (a, b) if a_left else (b, a)
            keys.append((left.sql("spark"), right.sql("spark")))
        elif isinstance(term, exp.LTE) and not a_left:  # right.t <= left.t
            times = (a.sql("spark"), b.sql("spark"))
        elif isinstance(term, exp.GTE) and a_left:  # left.t >= right.t
            times = (b.sql("spark"), a.sql("spark"))
        else:
            raise TradelensError(f"unsupported ASOF JOIN condition for Spark: {term.sql()}")
    if times is None or not keys:
        raise TradelensError("an ASOF JOIN needs an equality key and one <= on time for Spark")
    return keys, times
