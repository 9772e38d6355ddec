"""Agent KPI sheets (坐席KPI) computed from many scored conversations.

    config = load_profile("rules/kpi/default.yaml")
    loaded = load_results("results/")
    report = compute_kpis(loaded.results, config, "2026-11")
    write_xlsx(report, config, "kpi.xlsx")
"""

from .compute import compute_kpis
from .export import write_csv, write_xlsx
from .load import LoadError, LoadReport, load_results
from .metrics import METRICS, MetricDef
from .period import Period, PeriodError, parse_period
from .profile import KpiConfig, KpiProfileError, KpiSpec, RoleProfile, load_profile, parse_profile
from .report import EntityKpis, KpiReport, KpiValue, ViolationRow

__all__ = [
    "compute_kpis", "write_csv", "write_xlsx", "LoadError", "LoadReport", "load_results", "METRICS",
    "MetricDef", "Period", "PeriodError", "parse_period", "KpiConfig", "KpiProfileError", "KpiSpec",
    "RoleProfile", "load_profile", "parse_profile", "EntityKpis", "KpiReport", "KpiValue", "ViolationRow",
]
