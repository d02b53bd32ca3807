"""The ServiceAccount table (pkg/printers/internalversion/printers.go: printServiceAccount).

`kubectl get serviceaccounts` prints NAME, SECRETS (how many secrets the account
lists, 0 since token Secrets stopped being generated in v1.24) and AGE.
"""

from __future__ import annotations

import datetime as dt

from cluster.apiserver.printing import age, age_column, column, name_column

SECRETS_DOC = (
    "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are "
    "allowed to use. Pods are only limited to this list if this service account has a "
    '"kubernetes.io/enforce-mountable-secrets" annotation set to "true". The '
    '"kubernetes.io/enforce-mountable-secrets" annotation is deprecated since v1.32. Prefer separate '
    "namespaces to isolate access to mounted secrets. This field should not be used to find auto-generated "
    "service account token secrets for use outside of pods. Instead, tokens can be requested directly using "
    "the TokenRequest API, or service account token secrets can be manually created. More info: "
    "https://kubernetes.io/docs/concepts/configuration/secret"
)

SERVICEACCOUNT_COLUMNS = [name_column(), column("Secrets", SECRETS_DOC), age_column()]


def serviceaccount_row(obj: dict, now: dt.datetime) -> list:
    return [obj["metadata"]["name"], len(obj.get("secrets") or []), age(obj, now)]
