"""kubeclass's own kubectl: the verbs, flags, output and errors of kubectl v1.32.

Used by `manage.py kubectl` and the dashboard's terminal. It talks to the
in-process API server, and prints with the same printers module that serves
the HTTP Table, so its output matches the real kubectl's.
"""
