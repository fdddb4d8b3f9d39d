"""Each chapter's classroom demo as a widget, and the Voila apps that show them without code.

Every function here loads what its demo needs (the lesson's database, the lesson's steps, the
course's tested functions) and returns the widget; ``demos/`` holds one notebook per function,
written by :func:`write_notebooks`. Served, with an index, on one local port::

    python -m course.demos serve [--port 8866] [--no-browser]

(``python -m course.demos notebooks`` writes the notebooks again after :data:`DEMOS` changed.)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.request
import webbrowser
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

import generator
from course import building, customer_value, marketing_db, one_to_one, style, targeting, upkeep

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "demos"
INDEX = "00_index"
PORT = 8866
#: the Voila template the demos are served with (Voila's lab template, nothing from the internet)
TEMPLATE = "course-demos"
TEMPLATES = ROOT / "course" / "jupyter"


@dataclass(frozen=True)
class Demo:
    """One classroom demo: its notebook, the function of this module it calls, the textbook's
    section (Chinese name) and what to try with it in class."""

    notebook: str
    function: str
    title: str
    try_in_class: str


DEMOS = (
    Demo(
        "01_customer_explorer",
        "customer_explorer",
        "01 One customer in the database (第一节 一 客户数据库概述)",
        "Pick an example customer (each found by a rule: the largest lifetime value, a lapsed big "
        "spender, the newest member...) or type any customer_id, and read what the supermarket's "
        "database knows of them: profile, marketing figures, receipts, campaigns, complaints. "
        "Ask the class what they would offer this customer next, and what the database cannot "
        "tell.",
    ),
    Demo(
        "02_linkage_threshold",
        "linkage_threshold",
        "02 The match threshold (第一节 二 客户数据库的建立 · 识别)",
        "The automaker's records, scored once by the record-linkage model: the slider sets the "
        "threshold at which two records count as one customer. Start at 0.90, move to 0.30 and "
        "to 0.99, and have students read the wrong merges and the missed duplicates aloud.",
    ),
    Demo(
        "03_cheapest_threshold",
        "cheapest_threshold",
        "03 What matching errors cost (第二节 四 客户数据库的维护 · 识别重复客户)",
        "The bank's build, starting at the threshold whose false merges and missed duplicates "
        "cost least. Move it to 0.05 and to 0.99 and read the errors aloud; then ask where the "
        "cheapest threshold moves if a false merge cost ten times as much.",
    ),
    Demo(
        "05_pyramid_sizes",
        "pyramid_sizes",
        "05 The customer pyramid's sizes are a choice (第一节 客户数据库的作用 · 客户金字塔)",
        "The supermarket's customers by profit in the ABC pyramid (VIP, major, ordinary, small "
        "customers). The textbook names the layers, never their sizes: set A to 20 %, B to 30 % "
        "and C to 50 % for an 80/20 pyramid, and ask how many customers each treatment can "
        "afford.",
    ),
    Demo(
        "06_campaign_planner",
        "campaign_planner",
        "06 The campaign planner (第三节 四、运作程序 · 五、整体计划)",
        "The bank's term-deposit campaign, its reachable customers ranked by the response "
        "model: set the budget, the cut-off and the channel, press Run, and the simulator runs "
        "the campaign. Let each table find the most profitable plan by phone, then by SMS, and "
        "compare the estimate from the control group with the truth when the list gets small.",
    ),
    Demo(
        "07_purchase_cycles",
        "purchase_cycles",
        "07 Each customer's purchase cycle (第三节 一对一营销 · 购买周期)",
        "Ten regular shoppers, from short to long histories: pick a customer and a category and "
        "ask each table to guess the day of the next purchase from the timeline alone, then "
        "read the prediction (red cross) and the true next purchase (green square) below.",
    ),
)


# ---------------------------------------------------------------- the demos


@cache
def explorer_inputs():
    """Chapter 01's supermarket and its marketing table."""
    ds = generator.load("retail")
    return ds, marketing_db.marketing_table(ds)


def customer_explorer():
    """Chapter 01: :func:`course.marketing_db.customer_explorer` on the supermarket."""
    style.setup()
    return marketing_db.customer_explorer(*explorer_inputs())


@cache
def linkage_inputs():
    """Chapter 02's automaker, built as the lesson builds it (:func:`course.building.build`):
    its scored pairs, the truth and the exact duplicates, and the lesson's threshold."""
    ds = generator.load("auto")
    built = building.build(ds)
    return built.scores, building.true_customers(ds), built.duplicates, building.THRESHOLD


def linkage_threshold():
    """Chapter 02: :func:`course.building.threshold_slider` at the lesson's threshold."""
    scores, truth, duplicates, threshold = linkage_inputs()
    return building.threshold_slider(scores, truth, duplicates, value=threshold)


#: the thresholds chapter 03 prices
PRICED_THRESHOLDS = [t / 100 for t in (*range(5, 100, 5), 97, 99)]


@cache
def cheapest_inputs():
    """Chapter 03's bank, built as the lesson builds it: its scored pairs, the truth and the
    exact duplicates, and the threshold whose errors cost least (:func:`course.upkeep.error_costs`
    over :data:`PRICED_THRESHOLDS`)."""
    bank = generator.load("bank")
    built = building.build(bank)
    owner = building.true_customers(bank)
    curve = building.quality_curve(built.scores, owner, PRICED_THRESHOLDS, built.duplicates)
    cheapest = upkeep.error_costs(curve, bank.currency)["total_cost"].idxmin()
    return built.scores, owner, built.duplicates, float(cheapest)


def cheapest_threshold():
    """Chapter 03: :func:`course.building.threshold_slider` at the cheapest threshold."""
    scores, owner, duplicates, cheapest = cheapest_inputs()
    return building.threshold_slider(scores, owner, duplicates, value=cheapest)


@cache
def pyramid_inputs() -> pd.Series:
    """Chapter 05's value: each supermarket customer's profit after the cost to serve."""
    profit = customer_value.retail_profit(generator.load("retail"))
    return profit.set_index("customer_id")["profit"]


def pyramid_sizes():
    """Chapter 05: :func:`course.customer_value.pyramid_sizes` on the supermarket's profit."""
    return customer_value.pyramid_sizes(pyramid_inputs())


#: chapter 06's offer: a term deposit (the channel is the planner's)
OFFER = {"product_type": "term_deposit"}


@cache
def planner_inputs():
    """Chapter 06's bank, offer and score: the response model trained on the called customers
    of the past term-deposit call campaign (their features the day before its launch) scores
    the customers who never held a term deposit and whom the phone may reach on the as-of date
    (consent and the pressure rule, :func:`course.targeting.reachable`)."""
    bank = generator.load("bank")
    campaigns = bank["campaigns"].set_index("campaign_id")
    is_past = (campaigns["product_type"] == "term_deposit") & (campaigns["channel"] == "phone")
    past_id = campaigns.index[is_past][0]
    contacts = bank["campaign_contacts"]
    listed = contacts[contacts["campaign_id"] == past_id].set_index("customer_id")
    outcomes = bank["campaign_outcomes"]
    opened = outcomes.loc[outcomes["campaign_id"] == past_id, "customer_id"]
    responded = pd.Series(listed.index.isin(opened), index=listed.index)
    called = listed.index[listed["test_group"] == "treatment"]
    day_before = campaigns.loc[past_id, "launched_on"] - pd.Timedelta(days=1)
    features_past = targeting.bank_features(bank, day_before).loc[listed.index]
    model = targeting.response_model(features_past.loc[called], responded[called])
    features_now = targeting.bank_features(bank, bank.as_of)
    accounts = bank["accounts"].merge(bank["products"][["product_id", "product_type"]])
    ever_held = accounts.loc[accounts["product_type"] == "term_deposit", "customer_id"]
    eligible = features_now.index[~features_now.index.isin(ever_held)]
    phone_ok = targeting.reachable(bank, eligible, "phone", bank.as_of)
    score = pd.Series(model.predict_proba(features_now.loc[phone_ok])[:, 1], index=phone_ok)
    return bank, OFFER, score


def campaign_planner():
    """Chapter 06: :func:`course.targeting.planner` on the bank's term-deposit campaign."""
    return targeting.planner(*planner_inputs())


#: chapter 07's first category, and how many regular shoppers its demo offers
CATEGORY, SHOPPERS = "detergent", 10


@cache
def cycle_inputs() -> dict:
    """Chapter 07's supermarket, as the lesson reads it: the purchase days of the replenished
    categories, each customer's cycle, the next purchase predicted and scored, each regular
    shopper's list of 10 scored on the next 30 days, and ten regular shoppers of
    :data:`CATEGORY` (the arguments of :func:`course.one_to_one.cycle_explorer`)."""
    retail = generator.load("retail")
    as_of = retail.as_of
    categories = one_to_one.replenished(retail)
    days = one_to_one.purchase_days(retail, as_of, categories)
    table = one_to_one.intervals(days)
    predicted = one_to_one.next_purchase(table, as_of)
    scored = one_to_one.next_purchase_error(predicted, retail.truth("future_next_purchases"))
    regulars = one_to_one.regular_shoppers(retail, as_of)
    lists = one_to_one.shopping_lists(retail, as_of, size=10)
    first_day = as_of.normalize() + pd.Timedelta(days=1)
    listed = one_to_one.coverage(
        lists[lists["customer_id"].isin(regulars)], retail.truth("future_purchases"), first_day
    )
    listed = listed[listed["customer_id"].isin(regulars)]
    return {
        "days": days,
        "table": table,
        "scored": scored,
        "listed": listed,
        "customers": one_to_one.spread_customers(table, CATEGORY, regulars, SHOPPERS),
        "categories": categories,
        "category": CATEGORY,
        "as_of": as_of,
    }


def purchase_cycles():
    """Chapter 07: :func:`course.one_to_one.cycle_explorer` on the supermarket."""
    style.setup()
    return one_to_one.cycle_explorer(**cycle_inputs())


# ---------------------------------------------------------------- the notebooks


def notebook(demo: Demo):
    """The Voila notebook of ``demo``: a title, what to try in class, and one code cell."""
    import nbformat

    book = nbformat.v4.new_notebook()
    book.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    book.metadata["language_info"] = {"name": "python"}
    book.cells = [
        nbformat.v4.new_markdown_cell(f"# {demo.title}\n\n{demo.try_in_class}"),
        nbformat.v4.new_code_cell(f"from course import demos\n\ndemos.{demo.function}()"),
    ]
    return book


def index_notebook():
    """The index the served demos open on: a link and a line for each demo."""
    import nbformat

    lines = [
        "# 课堂演示 Classroom demos",
        "",
        "Each chapter's classroom widget, without code. Open one, wait for its widget (the "
        "first load of a database takes a few seconds), and move its controls.",
        "",
    ]
    for demo in DEMOS:
        first = demo.try_in_class.split(". ")[0].rstrip(".")
        lines.append(f"- [{demo.title}]({demo.notebook}.ipynb): {first}.")
    book = nbformat.v4.new_notebook()
    book.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    book.cells = [nbformat.v4.new_markdown_cell("\n".join(lines))]
    return book


def write_notebooks(folder: Path = FOLDER) -> list[Path]:
    """Write the index and every demo's notebook into ``folder`` (stored without outputs)."""
    import nbformat

    folder.mkdir(exist_ok=True)
    written = []
    for name, book in [(INDEX, index_notebook())] + [(d.notebook, notebook(d)) for d in DEMOS]:
        path = folder / f"{name}.ipynb"
        book.cells = [cell | {"id": f"{name}-{i}"} for i, cell in enumerate(book.cells)]
        nbformat.write(nbformat.from_dict(book), path)
        written.append(path)
    return written


# ---------------------------------------------------------------- serving them


def voila_command(port: int) -> list[str]:
    """The Voila command that serves ``demos/`` on ``port``: its tree page lists the notebooks,
    each runs without its code."""
    return [
        sys.executable,
        "-m",
        "voila",
        str(FOLDER),
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--no-browser",
        f"--template={TEMPLATE}",
    ]


def kernel_environment() -> dict[str, str]:
    """The environment Voila and the demos' kernels run in: Voila finds :data:`TEMPLATE` under
    :data:`TEMPLATES`; the kernels start in ``demos/``, so this course's folder comes first on
    the import path, and its ``datasets/`` is the data (unless ``GENERATOR_DATASETS`` names
    another)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(TEMPLATES), env.get("JUPYTER_PATH")]))
    env.setdefault("GENERATOR_DATASETS", str(ROOT / "datasets"))
    return env


def answers(url: str, process: subprocess.Popen, timeout: float = 60) -> bool:
    """Whether ``url`` answers within ``timeout`` seconds while ``process`` runs."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url.rsplit("/voila/", 1)[0], timeout=5):
                return True
        except OSError:
            time.sleep(0.5)
    return False


def serve(port: int = PORT, browser: bool = True) -> int:
    """Serve every demo on ``port`` until interrupted; print the index's address and, if
    ``browser``, open it."""
    url = f"http://127.0.0.1:{port}/voila/render/{INDEX}.ipynb"
    print(f"the classroom demos: {url} (all files: http://127.0.0.1:{port}/); Ctrl+C stops")
    process = subprocess.Popen(voila_command(port), env=kernel_environment())
    if browser and answers(url, process):
        webbrowser.open(url)
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        return process.wait()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course.demos", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serving = commands.add_parser("serve", help="serve every demo with Voila on one port")
    serving.add_argument("--port", type=int, default=PORT)
    serving.add_argument("--no-browser", action="store_true", help="do not open a browser")
    commands.add_parser("notebooks", help="write demos/ again from DEMOS")
    args = parser.parse_args(argv)
    if args.command == "notebooks":
        for path in write_notebooks():
            print(path.relative_to(ROOT))
        return 0
    return serve(args.port, browser=not args.no_browser)


if __name__ == "__main__":
    sys.exit(main())
