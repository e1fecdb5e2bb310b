"""Model access. Importing this package makes litellm offline-safe before litellm is imported."""

import os

# litellm fetches a cost map over the network at import time unless told otherwise.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_OFFLINE_MODE", "true")
os.environ.setdefault("LITELLM_LOG", "ERROR")
