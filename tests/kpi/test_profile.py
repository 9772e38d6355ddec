from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa_engine.kpi.profile import KpiProfileError, KpiSpec, LinearBand, StepsBand, load_profile, parse_profile

from .conftest import DEFAULT_PROFILE

BASE = {
    "default_profile": "after_sales",
    "profiles": {"after_sales": {"kpis": [
        {"id": "fcr", "weight": 20, "band": {"full_at": 0.9, "zero_at": 0.85}, "alert": 0.85},
        {"id": "first_response", "weight": 5, "band": {
            "max_points": 15,
            "steps": [{"threshold": 30, "points": 15}, {"threshold": 40, "points": 12},
                      {"threshold": 50, "points": 8}, {"threshold": 60, "points": 4}]}},
    ]}},
}


def errors_for(data) -> str:
    with pytest.raises(KpiProfileError) as info:
        parse_profile(data, "rules/kpi/x.yaml")
    return str(info.value)


def test_default_profile_loads_with_three_roles_weights_summing_to_100():
    config = load_profile(DEFAULT_PROFILE)
    assert set(config.profiles) == {"after_sales", "pre_sales", "tech_support"}
    assert config.default_profile == "after_sales"
    for profile in config.profiles.values():
        assert sum(spec.weight for spec in profile.kpis) == 100
        assert all(spec.name for spec in profile.kpis)
    fcr = config.profiles["after_sales"].spec("fcr")
    assert fcr.name == "首次解决率" and fcr.target == 0.9 and fcr.direction == "higher_better"
    assert config.settings.fcr_window_days == 7 and config.settings.pass_score == 80


def test_linear_band_fcr_example_from_domain():
    spec = parse_profile(BASE).profiles["after_sales"].spec("fcr")
    assert spec.band_score(0.95) == 100
    assert spec.band_score(0.90) == 100
    assert spec.band_score(0.875) == pytest.approx(50)
    assert spec.band_score(0.86) == pytest.approx(20)
    assert spec.band_score(0.85) == 0
    assert spec.band_score(0.10) == 0


def test_linear_band_lower_better():
    spec = KpiSpec(id="aht", weight=1, band={"full_at": 300, "zero_at": 480})
    assert spec.direction == "lower_better"
    assert spec.target == 300
    assert spec.band_score(200) == 100
    assert spec.band_score(390) == pytest.approx(50)
    assert spec.band_score(480) == 0
    assert spec.band_score(900) == 0


def test_steps_band_lower_better_response_time_table():
    spec = parse_profile(BASE).profiles["after_sales"].spec("first_response")
    assert isinstance(spec.band, StepsBand)
    assert spec.target == 30  # threshold of the best step
    # ≤30 → 15 of 15, ≤40 → 12, ≤50 → 8, ≤60 → 4, beyond → 0 (as a share of 100)
    assert [spec.band_score(v) for v in (5, 30, 30.1, 40, 45, 55, 60, 61)] == pytest.approx(
        [100, 100, 80, 80, 800 / 15, 400 / 15, 400 / 15, 0])


def test_steps_band_higher_better_csat_table():
    spec = KpiSpec(id="csat", weight=15, band={"max_points": 20, "steps": [
        {"threshold": 0.85, "points": 4}, {"threshold": 0.95, "points": 20}, {"threshold": 0.92, "points": 16},
        {"threshold": 0.90, "points": 12}, {"threshold": 0.88, "points": 8}]})
    assert [spec.band_score(v) for v in (0.99, 0.95, 0.93, 0.91, 0.89, 0.86, 0.84)] == pytest.approx(
        [100, 100, 80, 60, 40, 20, 0])


def test_alert_respects_direction():
    fcr = KpiSpec(id="fcr", weight=1, band={"full_at": 0.9, "zero_at": 0.85}, alert=0.85)
    assert fcr.is_alert(0.84) and not fcr.is_alert(0.85)
    aht = KpiSpec(id="aht", weight=1, band={"full_at": 300, "zero_at": 480}, alert=420)
    assert aht.is_alert(421) and not aht.is_alert(420)
    assert not KpiSpec(id="aht", weight=1, band={"full_at": 300, "zero_at": 480}).is_alert(10_000)


def test_percent_strings_are_fractions():
    spec = KpiSpec(id="fcr", weight=1, band={"full_at": "90%", "zero_at": "85%"}, target="90%")
    assert isinstance(spec.band, LinearBand)
    assert spec.band.full_at == pytest.approx(0.9) and spec.target == pytest.approx(0.9)


@given(st.floats(-1e6, 1e6, allow_nan=False), st.floats(-1e6, 1e6, allow_nan=False),
       st.floats(0, 1e3), st.floats(0, 1e3))
def test_linear_band_is_bounded_and_monotonic(a, b, full, width):
    higher = KpiSpec(id="quality_score", weight=1, band={"full_at": full + width + 1, "zero_at": full})
    lower = KpiSpec(id="aht", weight=1, band={"full_at": full, "zero_at": full + width + 1})
    lo, hi = min(a, b), max(a, b)
    for spec in (higher, lower):
        assert 0 <= spec.band_score(lo) <= 100 and 0 <= spec.band_score(hi) <= 100
    assert higher.band_score(lo) <= higher.band_score(hi)
    assert lower.band_score(lo) >= lower.band_score(hi)


@pytest.mark.parametrize("mutate, expected", [
    (lambda d: d["profiles"]["after_sales"]["kpis"][0].__setitem__("id", "fcrr"),
     "profiles.after_sales.kpis[0] (fcrr): id: unknown KPI 'fcrr'"),
    (lambda d: d["profiles"]["after_sales"]["kpis"][0].__setitem__("wieght", 3),
     "profiles.after_sales.kpis[0] (fcr).wieght: Extra inputs are not permitted"),
    (lambda d: d["profiles"]["after_sales"]["kpis"][0]["band"].__setitem__("full_at", 90),
     "profiles.after_sales.kpis[0] (fcr): band.full_at: 90 is not a fraction; fcr is a ratio, write 0.9 or '90%'"),
    (lambda d: d["profiles"]["after_sales"]["kpis"][0]["band"].__setitem__("full_at", 0.8),
     "profiles.after_sales.kpis[0] (fcr): band: higher_better needs full_at > zero_at"),
    (lambda d: d["profiles"]["after_sales"]["kpis"][0].__setitem__("weight", -1),
     "profiles.after_sales.kpis[0] (fcr).weight: Input should be greater than or equal to 0"),
    (lambda d: d["profiles"]["after_sales"]["kpis"][0]["band"].__setitem__("zero_at", "abc"),
     "profiles.after_sales.kpis[0] (fcr).band.zero_at: Input should be a valid number"),
    (lambda d: d["profiles"]["after_sales"]["kpis"][1]["band"]["steps"][0].__setitem__("points", 16),
     "profiles.after_sales.kpis[1] (first_response).band: steps[0].points 16 exceeds max_points 15"),
    (lambda d: d["profiles"]["after_sales"]["kpis"].append(copy.deepcopy(d["profiles"]["after_sales"]["kpis"][0])),
     "profiles.after_sales: kpis: KPI 'fcr' listed twice"),
    (lambda d: d["profiles"]["after_sales"]["kpis"][0].__setitem__("band", {"full": 1}),
     "profiles.after_sales.kpis[0] (fcr).band: a band needs full_at and zero_at (linear) or steps"),
    (lambda d: d.__setitem__("default_profile", "sales"),
     "(top level): default_profile: 'sales' is not among profiles (after_sales)"),
    (lambda d: d.__setitem__("agents", {"a7": "tech"}),
     "agents.a7: profile 'tech' is not among profiles"),
    (lambda d: d.__setitem__("settings", {"timezone": "Mars/Olympus"}),
     "settings.timezone: unknown time zone 'Mars/Olympus'"),
    (lambda d: d.__setitem__("settings", {"fcr_window_days": 0}),
     "settings.fcr_window_days: Input should be greater than 0"),
])
def test_validation_errors_name_file_and_field(mutate, expected):
    data = copy.deepcopy(BASE)
    mutate(data)
    message = errors_for(data)
    assert message.startswith("rules/kpi/x.yaml: ")
    assert expected in message


def test_load_profile_reports_yaml_syntax_and_missing_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("profiles: [unclosed\n", encoding="utf-8")
    with pytest.raises(KpiProfileError, match=r"bad.yaml: YAML syntax"):
        load_profile(bad)
    with pytest.raises(KpiProfileError, match=r"missing.yaml: cannot read"):
        load_profile(tmp_path / "missing.yaml")
    listing = tmp_path / "list.yaml"
    listing.write_text("- 1\n", encoding="utf-8")
    with pytest.raises(KpiProfileError, match=r"list.yaml: \(top level\): expected a mapping"):
        load_profile(listing)


def test_docs_define_every_kpi():
    from qa_engine.kpi.metrics import METRICS

    text = (DEFAULT_PROFILE.parents[2] / "docs" / "kpi.md").read_text(encoding="utf-8")
    missing = [m.id for m in METRICS.values() if f"| `{m.id}` | {m.name} |" not in text]
    assert missing == []
