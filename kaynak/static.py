"""Static files, served by the app servers themselves through WhiteNoise (README
"Deployment"): no separate static server, and each app server answers for every file."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from whitenoise.middleware import WhiteNoiseMiddleware


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise, serving what `collectstatic` wrote to STATIC_ROOT. Where nothing was
    collected (the tests, `make run`, a fresh checkout) it serves the apps' own static
    folders instead, as runserver would, rather than warning at every start."""

    def __init__(self, get_response: Any = None, settings: Any = settings) -> None:
        self._collected = bool(settings.STATIC_ROOT) and os.path.isdir(settings.STATIC_ROOT)
        super().__init__(get_response, settings=settings)
        if not self._collected and not self.use_finders and not self.autorefresh:
            self.add_files_from_finders()

    def add_files(self, root: str, prefix: str | None = None) -> None:
        if self.autorefresh or os.path.isdir(root):
            super().add_files(root, prefix)
