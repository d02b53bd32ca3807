"""Lessons: the syllabus of the study notes, told against the live cluster.

Each lesson is a short text in English and Korean, commands to try in the
terminal, and a check that reads the cluster through the API server — the
same way any other client does — to tell the student whether it worked.
"""
