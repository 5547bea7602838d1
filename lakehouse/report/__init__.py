"""The analyst's report: a static, offline HTML page of the gold metrics (`lakehouse report`)."""

from lakehouse.report.build import DEFAULT_DAYS, build_report, read_report_data, render_report

__all__ = ["DEFAULT_DAYS", "build_report", "read_report_data", "render_report"]
