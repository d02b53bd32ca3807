"""What the web app keeps besides the clusters: lesson progress, classes and their students.

No accounts: a learner is a browser session, or a student of a class (who can
resume on another device with their own link). Everything here is in the
database, so a server restart loses no class, student or progress.
"""

from __future__ import annotations

import secrets

from django.db import models

from cluster.models import Cluster

# Join codes avoid letters and digits that are easy to mix up on a projector (0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_key() -> str:
    return secrets.token_urlsafe(24)


class Classroom(models.Model):
    FOLLOW = "follow"
    HANDS_ON = "hands-on"
    MODES = [(FOLLOW, "Follow"), (HANDS_ON, "Hands-on")]

    code = models.CharField(max_length=12, unique=True)
    title = models.CharField(max_length=80, blank=True, default="")
    teacher_session = models.CharField(max_length=64, db_index=True)
    teacher_key = models.CharField(max_length=64, default=new_key)  # the teacher's own link, for another device
    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="classrooms")
    lesson = models.CharField(max_length=80)
    mode = models.CharField(max_length=10, choices=MODES, default=FOLLOW)
    # The step the teacher's page shows and the revision it shows it at (0: live), so that a student who joins
    # or reconnects shows them too.
    viewing_seq = models.PositiveBigIntegerField(default=0)
    viewing_revision = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.code


class Student(models.Model):
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="students")
    name = models.CharField(max_length=40)
    session_key = models.CharField(max_length=64, db_index=True)
    resume_key = models.CharField(max_length=64, default=new_key, unique=True)
    sandbox = models.ForeignKey(Cluster, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    hint = models.TextField(blank=True, default="")  # the last hint the teacher pushed
    joined_at = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["classroom", "name"], name="student_unique_name")]

    @property
    def learner(self) -> str:
        return f"student:{self.pk}"


class Progress(models.Model):
    """One learner's way through one lesson on one cluster."""

    learner = models.CharField(max_length=80)  # "session:<key>" or "student:<pk>"
    lesson = models.CharField(max_length=80)
    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="+")
    step_index = models.IntegerField(default=0)  # the step being worked on; len(steps) when finished
    done = models.JSONField(default=list)  # step ids, in the order they were done
    predictions = models.JSONField(default=dict)  # step id → {choice, revision, actual}
    commands = models.JSONField(default=list)  # the learner's last successful commands
    explored = models.JSONField(default=list)  # the map's components the learner opened
    detail = models.TextField(blank=True, default="")  # what the current step's check last saw
    last_error = models.TextField(blank=True, default="")  # the last command that failed, and why
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    progressed_at = models.DateTimeField(auto_now_add=True)  # when the last step was done

    class Meta:
        constraints = [models.UniqueConstraint(fields=["learner", "cluster"], name="progress_per_cluster")]
        indexes = [models.Index(fields=["learner", "lesson"], name="progress_learner_lesson")]
