"""A build's size is known before it starts: estimated within 25 %, and refused when it will
not fit."""

import json

import pytest

import generator
from generator import estimates
from generator.builder import industry
from generator.estimates import TooBig
from generator.params import Params

from conftest import cli

pytestmark = pytest.mark.slow  # builds databases or runs notebooks


def measured(folder):
    files = [p for p in folder.rglob("*") if p.is_file()]
    rows = json.loads((folder / "manifest.json").read_text())["rows"]
    return sum(p.stat().st_size for p in files), sum(rows.values())


@pytest.mark.parametrize(
    "options",
    [dict(customers=6_000), dict(customers=60_000, years=1, formats=("parquet",), workers=2)],
)
def test_the_estimate_is_within_a_quarter_of_the_real_build(options, tmp_path):
    guess = generator.estimate("retail", **options)
    generator.build(["retail"], tmp_path, **options)
    size, rows = measured(tmp_path / "retail")
    assert guess.bytes == pytest.approx(size, rel=0.25)
    assert guess.rows == pytest.approx(rows, rel=0.25)
    assert f"{options['customers']:,} customers" in str(guess)


def test_a_build_bigger_than_the_free_space_is_refused_before_writing(tmp_path, monkeypatch):
    monkeypatch.setattr(estimates, "_free", lambda place: 10_000_000)  # 10 MB free
    customers = industry("retail").block_size * (estimates.SMALL + 1)
    with pytest.raises(TooBig, match=r"needs about .* MB but only 10.0 MB is free"):
        generator.build(["retail"], tmp_path / "out", customers=customers)
    assert list(tmp_path.iterdir()) == []


def test_a_typo_of_a_few_zeros_is_refused_at_once_with_the_size(tmp_path):
    result = cli("build", "retail", "--customers", "10000000000", "--out", str(tmp_path))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "needs about" in result.stderr and " TB but only " in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_large_build_says_its_estimate_first(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(estimates, "LARGE_BYTES", 1)  # every build is large
    monkeypatch.setattr(estimates, "SMALL", 1)  # and estimated from two blocks on
    customers = industry("bank").block_size + 500
    generator.build(["bank"], tmp_path, customers=customers, years=1, progress=True)
    said = capsys.readouterr().err
    assert f"building bank, {customers:,} customers: about " in said and " on disk, " in said


def test_no_sample_is_built_when_even_the_generous_bound_fits(tmp_path, monkeypatch):
    """The check costs nothing on a disk with room: the bound fits, so no block is built aside
    (the time outside a parted build's workers stays a fraction of a second)."""

    def refused(*args):
        raise AssertionError("no sample should be built")

    monkeypatch.setattr(estimates, "estimate", refused)
    monkeypatch.setattr(
        estimates, "_free", lambda place: 10 * estimates.bound(Params(customers=22_000, years=1))
    )
    customers = industry("retail").block_size * (estimates.SMALL + 1)
    generator.build(["retail"], tmp_path, customers=customers, years=1, formats=("parquet",))
    assert (tmp_path / "retail" / "manifest.json").exists()
