"""The Celery application's configuration, shared by publishers (API, batch) and workers."""

from __future__ import annotations

from celery import Celery
from kombu import Queue

from api.executors import QUEUES
from api.settings import Settings


def make_celery(settings: Settings, name: str = "qa") -> Celery:
    app = Celery(name, broker=settings.broker_url)
    app.conf.update(
        # A message is acknowledged only after its job finished (acks_late), and given back to
        # the queue when the process running it dies (reject_on_worker_lost): a crash never
        # loses a job. Redelivery is harmless: the task claims the job row first (api.jobs
        # lease) and results are unique on conversation + pack sha + model version.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # One message at a time per process: jobs take 10 ms to minutes; prefetching more would
        # park work behind a slow transcription while another machine idles.
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,  # results live in the database, not in a result backend
        task_queues=[Queue(q) for q in sorted(set(QUEUES.values()))],
        task_default_queue="analyse",
        # Unacknowledged messages come back after this (Redis). Must exceed the longest job
        # plus the longest retry countdown (QA_RETRY_MAX_SECONDS); lost workers are found
        # much sooner through the job lease and the sweeper.
        broker_transport_options={"visibility_timeout": 3600, "socket_connect_timeout": 2,
                                  "socket_timeout": 10},
        broker_connection_timeout=2,
        broker_connection_retry_on_startup=True,
        # Building the engine (rule pack, emotion model) in worker_process_init takes seconds.
        worker_proc_alive_timeout=120,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
    )
    return app
