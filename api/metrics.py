"""Prometheus metrics. Queue gauges are read from the database at scrape time, so they are
right across all worker processes; processing-time histograms are per process (the embedded
worker's show on the API's /metrics)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

REGISTRY = CollectorRegistry(auto_describe=True)
JOB_SECONDS = Histogram("qa_job_processing_seconds", "Time to process one job", ["kind"], registry=REGISTRY,
                        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300))
JOBS_PROCESSED = Counter("qa_jobs_processed", "Jobs processed by this process", ["kind", "outcome"],
                         registry=REGISTRY)
HTTP_REQUESTS = Counter("qa_http_requests", "HTTP requests", ["method", "route", "status"], registry=REGISTRY)


class QueueCollector:
    """qa_jobs{status=...,kind=...} from the jobs table."""

    def __init__(self, sessions) -> None:  # noqa: ANN001
        self.sessions = sessions

    def collect(self):  # noqa: ANN201
        from api.jobs import counts

        gauge = GaugeMetricFamily("qa_jobs", "Jobs in the queue by status", labels=["kind", "status"])
        with self.sessions() as session:
            found = counts(session)
        for kind in ("score", "transcribe", "webhook"):
            for status in ("queued", "running", "failed", "done"):
                gauge.add_metric([kind, status], found.get((kind, status), 0))
        yield gauge

    def describe(self):  # noqa: ANN201
        return []
