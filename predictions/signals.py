"""Signals of our own, sent by the services once what they announce has committed, so
that another app (analytics' metrics) can follow the path production runs without
predictions importing it. Django's `post_save` would not do: the paid path writes its
record with its own INSERT."""

from __future__ import annotations

from django.dispatch import Signal

# A prediction request was recorded and committed (succeeded, failed or refused).
# Keyword argument: prediction.
prediction_recorded = Signal()

# A batch job reached its final state (done, cancelled or failed) and committed.
# Keyword argument: job.
batch_job_finished = Signal()
