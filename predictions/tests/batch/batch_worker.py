"""A real worker process for the crash test: `python -m predictions.tests.batch.batch_worker ID`.

It runs the django-q2 task function for one job, as a qcluster worker would, with the
tiny test case registered (a qcluster would not know it). The test kills it with
SIGKILL in the middle of the job.
"""

from __future__ import annotations

import sys

import django


def main(job_id: int) -> None:
    django.setup()
    from predictions.batch.tasks import batch_job_run_task
    from predictions.ml.cases import CASES
    from predictions.tests.tiny_case import TinyCase

    CASES[TinyCase.slug] = TinyCase()
    batch_job_run_task(job_id)


if __name__ == "__main__":
    main(int(sys.argv[1]))
